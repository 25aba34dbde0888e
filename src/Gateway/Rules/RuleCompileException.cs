namespace Gateway.Rules;

/// <summary>A rule's condition that cannot be compiled; the message says why and how to fix it.</summary>
public sealed class RuleCompileException(string message) : Exception(message);
