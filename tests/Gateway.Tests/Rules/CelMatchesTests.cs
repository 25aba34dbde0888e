using System.Text.RegularExpressions;
using Gateway.Rules;

namespace Gateway.Tests.Rules;

/// <summary><c>matches</c>: a plain alternation of literals runs on the backtracking engine, everything else on the non-backtracking one, with the same answers.</summary>
public sealed class CelMatchesTests
{
    [Theory]
    [InlineData("(?i)sqlmap|nikto|masscan", true)]
    [InlineData("curl/8", true)]
    [InlineData("Windows NT|Macintosh", true)]
    [InlineData("a+b", false)]
    [InlineData("(a|b)", false)]
    [InlineData("a.b", false)]
    [InlineData("[ab]", false)]
    [InlineData("\\d", false)]
    [InlineData("x{2}", false)]
    [InlineData("a*", false)]
    [InlineData("(?i:x)", false)]
    [InlineData("^a|b$", false)]
    [InlineData("(?i)(a+)+$", false)]
    public void IsLiteralAlternation_OnlyLiteralsAndBars(string pattern, bool expected) =>
        Assert.Equal(expected, CelCompiler.IsLiteralAlternation(pattern));

    [Theory]
    [InlineData("(?i)sqlmap|nikto|masscan")]
    [InlineData("Windows NT|Macintosh")]
    [InlineData("(?i)k|i")]
    [InlineData("(?i)straße|ǅ")]
    public void Matches_LiteralAlternation_SameAnswersAsTheNonBacktrackingEngine(string pattern)
    {
        string[] inputs =
        [
            "sqlmap/1.7.2#stable (https://sqlmap.org)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "NIKTO", "x-MassCan-y", "curl/8.5.0", "",
            "\u212A", "K", "\u0130", "\u0131", "STRASSE", "STRAẞE", "ǆ", "Ǆ", "macintosh",
        ];
        var reference = new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
        var condition = CelCompiler.Compile($"attrs[\"s\"].matches(\"{pattern}\")");
        foreach (var input in inputs)
        {
            var result = condition.Evaluate(new TestAttributes(new() { ["s"] = input }));
            Assert.True(result.Kind == RuleValueKind.Bool, $"{pattern} over \"{input}\": {result}");
            Assert.True(reference.IsMatch(input) == result.Bool, $"{pattern} over \"{input}\": {result.Bool}, the non-backtracking engine says {reference.IsMatch(input)}");
        }
    }
}
