using System.Globalization;
using System.Text;

namespace Gateway.Rules;

/// <summary>Writes values as CEL literals, for conditions the gateway writes itself (the <c>Sampling:AlwaysKeep</c> entries).</summary>
public static class CelLiteral
{
    /// <summary>A double-quoted CEL string; quotes, backslashes and every character outside printable ASCII escaped.</summary>
    public static string Quote(string value)
    {
        var text = new StringBuilder(value.Length + 2).Append('"');
        foreach (var rune in value.EnumerateRunes())
        {
            if (rune.Value is '"' or '\\')
            {
                text.Append('\\').Append((char)rune.Value);
            }
            else if (rune.Value is >= 0x20 and < 0x7f)
            {
                text.Append((char)rune.Value);
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture, $"\\U{rune.Value:x8}");
            }
        }

        return text.Append('"').ToString();
    }

    /// <summary>A CEL double literal.</summary>
    public static string Number(double value) => value.ToString("0.0###############", CultureInfo.InvariantCulture);
}
