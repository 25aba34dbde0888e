using System.Text.Json;

namespace Gateway.Hosting;

/// <summary>
/// Reads the configuration file once before the configuration system does, so that a
/// missing or malformed file is reported as one line naming the file, the line and the
/// position, rather than as a stack trace.
/// </summary>
public static class ConfigFileCheck
{
    // The same leniency as the JSON configuration provider: comments and trailing commas are allowed.
    private static readonly JsonDocumentOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Returns null when <paramref name="path"/> holds a JSON object, otherwise the reason it cannot be used.</summary>
    public static string? Problem(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return $"config file {path}: not found; pass --config PATH, or copy config/gateway.json from the repository there";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"config file {path}: cannot be read: {e.Message}";
        }

        try
        {
            using var document = JsonDocument.Parse(bytes, Options);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? null
                : $"config file {path}: the top level must be a JSON object {{ ... }}, found {document.RootElement.ValueKind}";
        }
        catch (JsonException e)
        {
            var line = e.LineNumber is { } l ? l + 1 : 0;
            var position = e.BytePositionInLine is { } p ? p + 1 : 0;
            return $"config file {path}: invalid JSON at line {line}, position {position}: {StripLocation(e.Message)}";
        }
    }

    // System.Text.Json appends "LineNumber: n | BytePositionInLine: m." (zero-based); the message above says it one-based.
    private static string StripLocation(string message)
    {
        var at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (at >= 0 ? message[..at] : message).Trim();
    }
}
