using Gateway.Rules;

namespace Gateway.Tests.Rules;

/// <summary>A request's attributes as a plain map: strings, longs, doubles, bools and string arrays.</summary>
internal sealed class TestAttributes(Dictionary<string, object?> values) : IRuleAttributes
{
    public TestAttributes()
        : this([])
    {
    }

    public Dictionary<string, object?> Values { get; } = values;

    public bool TryGet(string name, out RuleValue value)
    {
        if (!Values.TryGetValue(name, out var raw))
        {
            value = default;
            return false;
        }

        value = raw switch
        {
            bool b => RuleValue.Of(b),
            long l => RuleValue.Of(l),
            int i => RuleValue.Of((long)i),
            double d => RuleValue.Of(d),
            string s => RuleValue.Of(s),
            string[] a => RuleValue.OfStrings(a),
            _ => RuleValue.Null,
        };
        return true;
    }
}
