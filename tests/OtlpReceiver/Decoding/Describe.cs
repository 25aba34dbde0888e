using System.Globalization;
using System.Text;

namespace OtlpReceiver;

/// <summary>Short, bounded renderings of received data for timeout messages and ToString.</summary>
internal static class Describe
{
    private const int MaxValueLength = 60;

    public static string Attributes(IReadOnlyDictionary<string, object?> attributes, int max)
    {
        if (attributes.Count == 0)
        {
            return "{}";
        }

        var text = new StringBuilder("{");
        var shown = 0;
        foreach (var (key, value) in attributes)
        {
            if (shown == max)
            {
                text.Append(CultureInfo.InvariantCulture, $", +{attributes.Count - max} more");
                break;
            }

            text.Append(shown == 0 ? "" : ", ").Append(key).Append('=').Append(Value(value));
            shown++;
        }

        return text.Append('}').ToString();
    }

    public static string Value(object? value)
    {
        var text = value switch
        {
            null => "null",
            string s => "\"" + s + "\"",
            bool b => b ? "true" : "false",
            byte[] bytes => "0x" + Convert.ToHexStringLower(bytes),
            object?[] items => "[" + string.Join(", ", items.Select(Value)) + "]",
            IReadOnlyDictionary<string, object?> map => Attributes(map, 4),
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
        return text.Length <= MaxValueLength ? text : string.Concat(text.AsSpan(0, MaxValueLength), "…");
    }
}
