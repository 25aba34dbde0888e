namespace Gateway.Rules;

/// <summary>One compiled node of a condition: evaluates its sub-expression over a request's attributes.</summary>
internal delegate RuleValue CelNode(IRuleAttributes input, ref CelFrame frame);
