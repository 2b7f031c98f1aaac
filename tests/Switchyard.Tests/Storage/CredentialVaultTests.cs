using Switchyard.Storage;
using Xunit;

namespace Switchyard.Tests.Storage;

/// <summary>AES-GCM sealing of stored credentials: what opens, and what is refused with a reason.</summary>
public sealed class CredentialVaultTests
{
    [Fact]
    public void A_sealed_value_opens_under_its_key_and_row_only()
    {
        var vault = new CredentialVault(CredentialVault.NewKey());
        var sealedValue = vault.Seal("sk-secret-value", "provider_keys/a/1");
        Assert.StartsWith($"sy1.{vault.KeyId}.", sealedValue, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-secret-value", sealedValue, StringComparison.Ordinal);
        Assert.NotEqual(sealedValue, vault.Seal("sk-secret-value", "provider_keys/a/1")); // a fresh nonce each time
        Assert.Equal("sk-secret-value", vault.Open(sealedValue, "provider_keys/a/1"));

        var moved = Assert.Throws<StoreException>(() => vault.Open(sealedValue, "provider_keys/b/1"));
        Assert.Contains("belongs to another row", moved.Message, StringComparison.Ordinal);
        var body = sealedValue.Split('.')[2];
        var tampered = $"sy1.{vault.KeyId}.{(body[0] == 'A' ? 'B' : 'A')}{body[1..]}";
        Assert.Throws<StoreException>(() => vault.Open(tampered, "provider_keys/a/1"));
        Assert.Contains("damaged", Assert.Throws<StoreException>(() => vault.Open($"sy1.{vault.KeyId}.abc", "x")).Message, StringComparison.Ordinal);
        Assert.Contains("not a sealed value", Assert.Throws<StoreException>(() => vault.Open("plain", "x")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_key_or_none_is_named_as_such()
    {
        var vault = new CredentialVault(CredentialVault.NewKey());
        var sealedValue = vault.Seal("v", "ctx");
        var other = new CredentialVault(CredentialVault.NewKey());
        var wrong = Assert.Throws<StoreException>(() => other.Open(sealedValue, "ctx"));
        Assert.Contains($"encrypted under master key {vault.KeyId}", wrong.Message, StringComparison.Ordinal);
        Assert.Contains($"is master key {other.KeyId}", wrong.Message, StringComparison.Ordinal);
        var none = new CredentialVault(null);
        Assert.False(none.HasKey);
        Assert.Contains("SWITCHYARD_MASTER_KEY is not set", Assert.Throws<StoreException>(() => none.Open(sealedValue, "ctx")).Message, StringComparison.Ordinal);
        Assert.Contains("SWITCHYARD_MASTER_KEY is not set", Assert.Throws<StoreException>(() => none.Seal("v", "ctx")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_master_key_is_32_bytes_in_base64_or_hex()
    {
        var bytes = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var fromBase64 = new CredentialVault(Convert.ToBase64String(bytes));
        var fromHex = new CredentialVault(Convert.ToHexString(bytes));
        var fromBase64Url = new CredentialVault(Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_'));
        Assert.Equal(fromBase64.KeyId, fromHex.KeyId);
        Assert.Equal(fromBase64.KeyId, fromBase64Url.KeyId);
        Assert.Equal("x", fromHex.Open(fromBase64.Seal("x", "c"), "c"));
        Assert.Matches("^[0-9a-f]{8}$", fromBase64.KeyId!);
        foreach (var bad in new[] { "short", Convert.ToBase64String(bytes[..16]), new string('z', 64) })
        {
            Assert.Contains("32 random bytes", Assert.Throws<StoreException>(() => new CredentialVault(bad)).Message, StringComparison.Ordinal);
        }
    }
}
