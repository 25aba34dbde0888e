namespace Gateway.Telemetry;

/// <summary>Attribute and metric values are snake_case: the form of an enum member's name there.</summary>
internal static class SnakeCase
{
    /// <summary><c>ConnectionRefused</c> → <c>connection_refused</c>.</summary>
    public static string Of(string name)
    {
        var text = new System.Text.StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0 && !char.IsUpper(name[i - 1]))
            {
                text.Append('_');
            }

            text.Append(char.ToLowerInvariant(name[i]));
        }

        return text.ToString();
    }
}
