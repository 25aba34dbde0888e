namespace Gateway.Tests.Tls;

/// <summary>One line of TestData/ja4-vectors.txt: a capture's ClientHello records and the JA4 its reference tool computed.</summary>
public sealed record Ja4Vector(string Capture, int SourcePort, string ExpectedJa4, string Hex)
{
    /// <summary>The records as bytes.</summary>
    public byte[] Bytes => Convert.FromHexString(Hex);

    /// <summary>Every vector of the file.</summary>
    public static IReadOnlyList<Ja4Vector> All { get; } = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Tls", "TestData", "ja4-vectors.txt"))
        .Where(line => line.Length > 0 && line[0] != '#')
        .Select(line => line.Split(' '))
        .Select(f => new Ja4Vector(f[0], int.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture), f[2], f[3]))
        .ToList();

    /// <summary>For xunit's MemberData: each vector by its name.</summary>
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var vector in All)
        {
            data.Add(vector.Name);
        }

        return data;
    }

    /// <summary>The vector named <paramref name="name"/>.</summary>
    public static Ja4Vector Named(string name) => All.Single(v => v.Name == name);

    /// <summary><c>capture:port</c>.</summary>
    public string Name => $"{Capture}:{SourcePort}";
}
