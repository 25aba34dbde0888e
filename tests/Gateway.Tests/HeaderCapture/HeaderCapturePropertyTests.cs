using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using CsCheck;
using Gateway.Configuration;
using Gateway.HeaderCapture;
using Gateway.Telemetry;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.HeaderCapture;

/// <summary>
/// Invariants of header capture over arbitrary header sets and limits (CsCheck shrinks a failure
/// to a small example and prints its seed): redacted values never leak, the limits hold, and the
/// JSON line and console line built from the result stay one valid line.
/// </summary>
public sealed class HeaderCapturePropertyTests
{
    private const string Secret = "S3CR3T-";
    private const int Iterations = 300;

    private static readonly string[] RedactedNames =
        [.. HeaderLoggingSettings.DefaultRedact, "x-my-token", "X-Client-Secret", "x-session", "My-Password", "x-api_key-2"];

    private static readonly Gen<string> TokenName =
        Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!#$%&'*+^`|~"], 1, 24];

    // Case variants of names that must be redacted, so that "AuThOrIzAtIoN" is tried too.
    private static readonly Gen<string> RedactedName =
        Gen.Select(Gen.OneOf<string>(RedactedNames), Gen.Int[0, int.MaxValue], (name, mask) =>
            string.Concat(name.Select((c, i) => ((mask >> (i % 31)) & 1) == 1 ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c))));

    // Any UTF-16 unit: controls, ESC, U+2028, lone surrogates, non-ASCII.
    private static readonly Gen<string> AnyValue = Gen.String[Gen.Char, 0, 300];

    private static readonly Gen<(string Name, string[] Values, bool Secret)> Header =
        Gen.Frequency<(string, string[], bool)>(
            (3, Gen.Select(TokenName, AnyValue.Array[1, 3], (n, v) => (n, v, false))),
            (1, Gen.Select(RedactedName, Gen.String[Gen.Char, 0, 40].Array[1, 3], (n, v) => (n, v.Select(x => Secret + x).ToArray(), true))));

    private static readonly Gen<HeaderLoggingSettings> Settings =
        Gen.Select(Gen.Int[1, 200], Gen.Int[0, 30], Gen.Int[0, 3000], Gen.Bool, (valueBytes, headers, total, allowlist) => new HeaderLoggingSettings
        {
            MaxValueBytes = valueBytes,
            MaxHeaders = headers,
            MaxTotalBytes = total,
            Request = allowlist
                ? new HeaderCaptureSettings { Mode = HeaderLoggingMode.Allowlist, Allowlist = ["authorization", "cookie", "a", "b", "x-my-token"] }
                : new HeaderCaptureSettings(),
        });

    [Fact]
    public void CaptureRequest_ArbitraryHeadersAndLimits_RedactedNeverLeakLimitsHoldOutputIsOneValidLine()
    {
        Gen.Select(Header.Array[0, 40], Settings).Sample((headers, settings) =>
        {
            var dictionary = new HeaderDictionary();
            foreach (var (name, values, _) in headers)
            {
                foreach (var value in values)
                {
                    dictionary.Append(name, value);
                }
            }

            var policy = new HeaderCapturePolicy(settings);
            var attributes = new AttributeList();
            policy.CaptureRequest(dictionary, attributes);

            var captured = attributes.Where(a => a.Key.StartsWith(SemanticConventions.HttpRequestHeaderPrefix, StringComparison.Ordinal)).ToList();
            var dropped = (long?)attributes.Find(SemanticConventions.GatewayRequestHeadersDropped.Name) ?? 0;
            var eligible = dictionary.Keys.Count(k => settings.Request.Mode == HeaderLoggingMode.All
                || settings.Request.Allowlist!.Contains(k, StringComparer.OrdinalIgnoreCase));

            // Limits: count, total bytes, and every value either whole or a marked prefix within the byte limit.
            Assert.True(captured.Count <= settings.MaxHeaders);
            Assert.Equal(eligible, captured.Count + dropped);
            var total = 0;
            foreach (var (key, value) in captured)
            {
                var name = key[SemanticConventions.HttpRequestHeaderPrefix.Length..];
                var original = dictionary[name];
                var values = Assert.IsType<string[]>(value);
                total += Encoding.UTF8.GetByteCount(name) + values.Sum(v => Encoding.UTF8.GetByteCount(v));
                for (var i = 0; i < values.Length; i++)
                {
                    if (policy.IsRedacted(name))
                    {
                        Assert.Equal(SemanticConventions.RedactedValue, values[i]);
                    }
                    else if (values[i].EndsWith(SemanticConventions.TruncatedSuffix, StringComparison.Ordinal) && values[i] != original[i])
                    {
                        var kept = values[i][..^SemanticConventions.TruncatedSuffix.Length];
                        Assert.StartsWith(kept, original[i], StringComparison.Ordinal);
                        Assert.True(Encoding.UTF8.GetByteCount(kept) <= settings.MaxValueBytes);
                    }
                    else
                    {
                        Assert.Equal(original[i], values[i]);
                        Assert.True(Encoding.UTF8.GetByteCount(values[i]) <= settings.MaxValueBytes);
                    }
                }
            }

            Assert.True(total <= settings.MaxTotalBytes);

            // The JSON line: one line, parses, no secret.
            var buffer = new ArrayBufferWriter<byte>();
            JsonLineFormatter.Write(buffer, DateTime.UtcNow, SemanticConventions.AccessEvent, default, 0, "body", attributes);
            var line = Encoding.UTF8.GetString(buffer.WrittenSpan);
            Assert.Equal(line.Length - 1, line.IndexOf('\n'));
            using var document = JsonDocument.Parse(line);
            Assert.Equal(captured.Count, document.RootElement.GetProperty("attributes").EnumerateObject().Count(p => p.Name.StartsWith(SemanticConventions.HttpRequestHeaderPrefix, StringComparison.Ordinal)));
            Assert.DoesNotContain(Secret, line, StringComparison.Ordinal);
        }, iter: Iterations);
    }

    [Fact]
    public void ConsoleLine_ArbitraryPathQueryAndRoute_IsOneLineWithoutControlCharacters()
    {
        Gen.Select(AnyValue, AnyValue, AnyValue).Sample((path, query, route) =>
        {
            var attributes = new AttributeList
            {
                { SemanticConventions.HttpRequestMethod, "GET" },
                { SemanticConventions.UrlPath, path },
                { SemanticConventions.UrlQuery, query },
                { SemanticConventions.HttpResponseStatusCode, 200L },
                { SemanticConventions.GatewayRouteId, route },
                { SemanticConventions.WireObserved, false },
            };

            var line = ConsoleLineFormatter.Format(attributes);

            Assert.DoesNotContain(line, c => c < 0x20 || (c >= 0x7F && c <= 0x9F) || c is '\u2028' or '\u2029' || char.IsSurrogate(c) && !IsPaired(line, c));
        }, iter: Iterations);
    }

    [Fact]
    public void RedactQuery_ArbitraryQueries_SecretValuesNeverSurvive()
    {
        var secretParameter = Gen.Select(Gen.OneOf("token", "access_token", "API_KEY", "password", "client_secret", "%74oken", "sig", "key"),
            Gen.String[Gen.Char["abcXYZ019-_~.%"], 0, 20], (name, value) => $"{name}={Secret}{value}");
        var otherParameter = Gen.Select(Gen.String[Gen.Char["abcdefghij"], 1, 8], Gen.String[Gen.Char["abcdefghij0123456789%+"], 0, 12], (name, value) => $"{name}={value}");
        var separator = Gen.OneOf("&", ";");
        Gen.Select(Gen.Frequency<string>((1, secretParameter), (2, otherParameter)).Array[0, 12], separator.Array[12, 12]).Sample((parameters, separators) =>
        {
            var query = string.Concat(parameters.Select((p, i) => (i == 0 ? "" : separators[i]) + p));
            var redacted = new HeaderCapturePolicy(new HeaderLoggingSettings()).RedactQuery(query);

            Assert.DoesNotContain(Secret, redacted, StringComparison.Ordinal);
            Assert.Equal(parameters.Length, redacted.Length == 0 ? 0 : redacted.Split('&', ';').Length);
        }, iter: Iterations);
    }

    private static bool IsPaired(string line, char c)
    {
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == c && ((char.IsHighSurrogate(c) && i + 1 < line.Length && char.IsLowSurrogate(line[i + 1]))
                || (char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(line[i - 1]))))
            {
                return true;
            }
        }

        return false;
    }
}
