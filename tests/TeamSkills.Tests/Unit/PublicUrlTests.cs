using TeamSkills.Web.Features.Digests;

namespace TeamSkills.Tests.Unit;

/// <summary>Without TeamSkills:Digests:PublicUrl, links in mail follow the address the app listens on.</summary>
public sealed class PublicUrlTests
{
    [Theory]
    [InlineData("http://localhost:5080", "http://localhost:5080")]
    [InlineData("http://127.0.0.1:5091", "http://127.0.0.1:5091")]
    [InlineData("http://+:8080", "http://localhost:8080")]
    [InlineData("http://*:8080;https://*:8443", "http://localhost:8080")]
    [InlineData("http://0.0.0.0:5000", "http://localhost:5000")]
    [InlineData("http://[::]:5000/", "http://localhost:5000")]
    [InlineData(" https://skills.example.org ", "https://skills.example.org")]
    public void ListeningUrl_IsTheFirstAddress_WithAWildcardHostAsLocalhost(string urls, string expected) =>
        Assert.Equal(expected, DigestEndpoints.ListeningUrl(urls));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("unix:/tmp/app.sock")]
    public void ListeningUrl_IsNull_WithoutAnHttpAddress(string? urls) => Assert.Null(DigestEndpoints.ListeningUrl(urls));
}
