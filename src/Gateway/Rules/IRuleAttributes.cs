namespace Gateway.Rules;

/// <summary>
/// What a rule's condition reads: a request's attributes by their schema names
/// (<c>http.request.header.user-agent</c>, <c>wire.ip.ttl</c>, <c>tls.client.ja4</c>...). The
/// request room implements it over what is known at each step; the Rules room knows nothing
/// of HTTP, the wire or the records.
/// </summary>
public interface IRuleAttributes
{
    /// <summary>Reads one attribute; false when the request has none of that name.</summary>
    bool TryGet(string name, out RuleValue value);

    /// <summary>
    /// Reads one attribute as the compiled conditions name it (resolved once per name): a view that
    /// reads many requests keeps what it resolved the name to on <paramref name="attribute"/>. By
    /// default, a read by name.
    /// </summary>
    bool TryGet(RuleAttribute attribute, out RuleValue value) => TryGet(attribute.Name, out value);
}
