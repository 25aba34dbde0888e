using Gateway.ClientIdentity;

namespace Gateway.Tests.ClientIdentity;

public class ClaimsMismatchTests
{
    private const string ChromeOnWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    private const string SafariOnIphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
    private const string ChromeOnAndroid = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
    private const string FirefoxOnMac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0";

    [Theory]
    [InlineData(ChromeOnWindows, "windows")]
    [InlineData(SafariOnIphone, "apple")]
    [InlineData(FirefoxOnMac, "apple")]
    [InlineData(ChromeOnAndroid, "linux")]
    [InlineData("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "linux")]
    [InlineData("curl/8.5.0", null)]
    [InlineData("python-requests/2.32.3", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void UserAgentPlatform_NamesTheClaimedOs(string? userAgent, string? platform) => Assert.Equal(platform, UserAgentPlatform.Of(userAgent));

    [Fact]
    public void WindowsBrowserOverALinuxSyn_IsUaOs() =>
        Assert.Equal(["ua_os"], Found(Browser(ChromeOnWindows) with { OsHint = "linux" }));

    [Fact]
    public void AndroidBrowserOverALinuxSyn_IsConsistent() =>
        Assert.Null(ClaimsMismatch.Find(Browser(ChromeOnAndroid) with { OsHint = "linux" }));

    [Fact]
    public void UnknownStackOrNoPlatform_NeverMismatch()
    {
        Assert.Null(ClaimsMismatch.Find(Browser(ChromeOnWindows) with { OsHint = "unknown" }));
        Assert.Null(ClaimsMismatch.Find(new ClientEvidence { UserAgent = "curl/8.5.0", OsHint = "windows" }));
        Assert.Null(ClaimsMismatch.Find(Browser(ChromeOnWindows) with { OsHint = null }));
    }

    [Fact]
    public void BrowserUserAgentWithoutAlpnOrTls13_IsUaTls()
    {
        Assert.Equal(["ua_tls"], Found(Browser(FirefoxOnMac) with { OfferedAlpn = false }));
        Assert.Equal(["ua_tls"], Found(Browser(FirefoxOnMac) with { OfferedTls13 = false }));
        Assert.Null(ClaimsMismatch.Find(Browser(FirefoxOnMac)));
        // A non-browser agent may send any hello; a cleartext connection has none to judge.
        Assert.Null(ClaimsMismatch.Find(new ClientEvidence { UserAgent = "curl/8.5.0", TlsSeen = true }));
        Assert.Null(ClaimsMismatch.Find(Browser(FirefoxOnMac) with { TlsSeen = false, OfferedAlpn = false }));
    }

    [Fact]
    public void SniDifferentFromHost_IsSniHost()
    {
        Assert.Equal(["sni_host"], Found(Browser(FirefoxOnMac) with { ServerName = "cdn.example", Host = "hidden.example" }));
        Assert.Null(ClaimsMismatch.Find(Browser(FirefoxOnMac) with { ServerName = "API.example.", Host = "api.example" }));
        Assert.Null(ClaimsMismatch.Find(Browser(FirefoxOnMac) with { ServerName = null, Host = "127.0.0.1" }));
    }

    [Fact]
    public void ForwardedClaimFromTheClientsOwnDesktopStack_IsXffHops()
    {
        Assert.Equal(["xff_hops"], Found(Browser(ChromeOnWindows) with { OsHint = "windows", ForwardedClaimed = true }));
        // From a Linux peer (what proxies and load balancers run) the claim is plausible.
        Assert.Null(ClaimsMismatch.Find(Browser(ChromeOnAndroid) with { OsHint = "linux", ForwardedClaimed = true }));
        Assert.Equal(["ua_os"], Found(Browser(ChromeOnWindows) with { OsHint = "linux", ForwardedClaimed = true }));
    }

    [Fact]
    public void SeveralContradictions_AreAllListedInTheDocumentedOrder() =>
        Assert.Equal(["ua_os", "ua_tls", "sni_host"], Found(Browser(ChromeOnWindows) with
        {
            OsHint = "apple",
            OfferedTls13 = false,
            ServerName = "a.example",
            Host = "b.example",
        }));

    private static string[] Found(in ClientEvidence evidence) => ClaimsMismatch.Find(evidence) ?? [];

    private static ClientEvidence Browser(string userAgent) => new()
    {
        UserAgent = userAgent,
        TlsSeen = true,
        OfferedAlpn = true,
        OfferedTls13 = true,
    };
}
