using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.Rules;
using Xunit.Abstractions;

namespace Gateway.Tests.Rules;

/// <summary>
/// The rule compiler against the CEL specification's own conformance cases (Rules/CelSpec,
/// Apache-2.0, source in its README): every case it accepts must give the specified value or
/// an error where the spec says error; what it refuses is counted.
/// </summary>
public sealed partial class CelConformanceTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("string", 30)]
    [InlineData("logic", 25)]
    [InlineData("lists", 15)]
    [InlineData("comparisons", 150)]
    [InlineData("macros", 15)]
    public void SpecCases_AcceptedOnes_GiveTheSpecifiedResult(string file, int minimumRun)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Rules", "CelSpec", file + ".textproto"));
        int run = 0, refused = 0, skipped = 0, packageAgrees = 0;
        var failures = new List<string>();
        foreach (var block in TestBlocks(text))
        {
            var name = Field(block, "name") ?? "?";
            var expr = Field(block, "expr");
            // Cases that bind variables, declare types or check types only are about the checker, not evaluation.
            if (expr is null || block.Contains("bindings", StringComparison.Ordinal) || block.Contains("type_env", StringComparison.Ordinal)
                || block.Contains("check_only", StringComparison.Ordinal) || block.Contains("container:", StringComparison.Ordinal))
            {
                skipped++;
                continue;
            }

            var expected = Expected(block);
            if (expected is null)
            {
                skipped++;
                continue;
            }

            CompiledCondition compiled;
            try
            {
                compiled = CelCompiler.CompileExpression(expr, out _);
            }
            catch (RuleCompileException)
            {
                refused++;
                continue;
            }

            run++;
            packageAgrees += PackageGives(expr, expected.Value) ? 1 : 0;
            var actual = compiled.Evaluate(new TestAttributes());
            if (!Matches(expected.Value, actual))
            {
                failures.Add($"{name}: {expr} => {actual}, expected {expected.Value.Describe}");
            }
        }

        output.WriteLine($"{file}: {run} run, {refused} refused, {skipped} not evaluation cases; the Cel package's own evaluator gives the specified result in {packageAgrees} of the {run}");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(run >= minimumRun, $"only {run} cases of {file} ran");
    }

    // For the record in docs/rules.md: how the package's own evaluator does on the same cases.
    private static bool PackageGives(string expr, Expectation expected)
    {
        object? value;
        try
        {
            value = new Cel.CelEnvironment(null, null).Compile(expr).Invoke(new Dictionary<string, object?>());
        }
        catch (Exception)
        {
            return expected.Kind == "error";
        }

        return expected.Kind switch
        {
            "bool_value" => value is bool b && b == bool.Parse(expected.Text),
            "int64_value" => value is long l && l == long.Parse(expected.Text, CultureInfo.InvariantCulture),
            "double_value" => value is double d && d.Equals(double.Parse(expected.Text, CultureInfo.InvariantCulture)),
            "string_value" => value is string s && s == Unescape(expected.Text),
            "null_value" => value is null,
            _ => false,
        };
    }

    private static bool Matches(Expectation expected, RuleValue actual) => expected.Kind switch
    {
        "error" => actual.IsError,
        "bool_value" => actual.Kind == RuleValueKind.Bool && actual.Bool == bool.Parse(expected.Text),
        "int64_value" => actual.Kind == RuleValueKind.Int && actual.Int == long.Parse(expected.Text, CultureInfo.InvariantCulture),
        "double_value" => actual.Kind == RuleValueKind.Double && actual.Double.Equals(double.Parse(expected.Text, CultureInfo.InvariantCulture)),
        "string_value" => actual.Kind == RuleValueKind.String && actual.String == Unescape(expected.Text),
        "null_value" => actual.Kind == RuleValueKind.Null,
        _ => false,
    };

    // A test block is "test {" up to its matching brace.
    private static IEnumerable<string> TestBlocks(string text)
    {
        foreach (Match start in TestStart().Matches(text))
        {
            var depth = 0;
            for (var i = start.Index + start.Length - 1; i < text.Length; i++)
            {
                if (text[i] == '"')
                {
                    i = EndOfString(text, i);
                }
                else if (text[i] == '{')
                {
                    depth++;
                }
                else if (text[i] == '}' && --depth == 0)
                {
                    yield return text[start.Index..(i + 1)];
                    break;
                }
            }
        }
    }

    private static int EndOfString(string text, int open)
    {
        for (var i = open + 1; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
            }
            else if (text[i] == '"')
            {
                return i;
            }
        }

        return text.Length - 1;
    }

    private static string? Field(string block, string field)
    {
        var match = Regex.Match(block, $@"\n\s*{field}:\s*""((?:[^""\\]|\\.)*)""");
        return match.Success ? Unescape(match.Groups[1].Value) : null;
    }

    private static Expectation? Expected(string block)
    {
        if (block.Contains("eval_error", StringComparison.Ordinal))
        {
            return new Expectation("error", "");
        }

        var scalar = ScalarValue().Match(block);
        if (!scalar.Success || block.Contains("list_value", StringComparison.Ordinal) || block.Contains("map_value", StringComparison.Ordinal))
        {
            return null;
        }

        return new Expectation(scalar.Groups[1].Value, scalar.Groups[2].Value.Trim().Trim('"'));
    }

    // Protocol-buffer text strings: C escapes, octal and hex escapes standing for UTF-8 bytes.
    private static string Unescape(string s)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\')
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(s[i].ToString()));
                continue;
            }

            var c = s[++i];
            switch (c)
            {
                case 'n': bytes.Add((byte)'\n'); break;
                case 'r': bytes.Add((byte)'\r'); break;
                case 't': bytes.Add((byte)'\t'); break;
                case 'a': bytes.Add(7); break;
                case 'b': bytes.Add(8); break;
                case 'f': bytes.Add(12); break;
                case 'v': bytes.Add(11); break;
                case 'u' or 'U':
                    var digits = c == 'u' ? 4 : 8;
                    bytes.AddRange(Encoding.UTF8.GetBytes(char.ConvertFromUtf32(Convert.ToInt32(s.Substring(i + 1, digits), 16))));
                    i += digits;
                    break;
                case 'x':
                    bytes.Add(Convert.ToByte(s.Substring(i + 1, 2), 16));
                    i += 2;
                    break;
                case >= '0' and <= '7':
                    bytes.Add(Convert.ToByte(s.Substring(i, 3), 8));
                    i += 2;
                    break;
                default:
                    bytes.Add((byte)c);
                    break;
            }
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    [GeneratedRegex(@"(?m)^\s*test\s*\{")]
    private static partial Regex TestStart();

    [GeneratedRegex(@"value:?\s*\{\s*(bool_value|int64_value|double_value|string_value|null_value|uint64_value|bytes_value|type_value):\s*([^}\n]*)\}")]
    private static partial Regex ScalarValue();

    private readonly record struct Expectation(string Kind, string Text)
    {
        public string Describe => $"{Kind} {Text}";
    }
}
