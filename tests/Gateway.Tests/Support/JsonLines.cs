using System.Text.Json;

namespace Gateway.Tests.Support;

/// <summary>Reads the embedded sink's file while the gateway runs.</summary>
internal static class JsonLines
{
    /// <summary>Every complete line parsed; throws if any line is not a JSON object.</summary>
    public static List<JsonElement> ReadAll(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        var complete = text[..(text.LastIndexOf('\n') + 1)];
        return [.. complete.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
    }

    /// <summary>Polls until a record matches or the time is up.</summary>
    public static async Task<JsonElement> WaitForAsync(string path, Func<JsonElement, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var found = ReadAll(path).Where(match).ToList();
            if (found.Count > 0)
            {
                return found[0];
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no matching record in {path}; have:\n{string.Join("\n", ReadAll(path))}");
            }

            await Task.Delay(50);
        }
    }

    public static JsonElement Attributes(this JsonElement record) => record.GetProperty("attributes");

    public static bool HasHeader(this JsonElement record, string attribute, string value) =>
        record.Attributes().TryGetProperty(attribute, out var values)
        && values.ValueKind == JsonValueKind.Array
        && values.EnumerateArray().Any(v => v.GetString() == value);
}
