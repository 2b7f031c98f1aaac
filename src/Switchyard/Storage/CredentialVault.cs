using System.Security.Cryptography;
using System.Text;

namespace Switchyard.Storage;

/// <summary>
/// Seals credentials before they reach the store: AES-256-GCM under the master key of <c>SWITCHYARD_MASTER_KEY</c>
/// (32 random bytes, base64 or hex). A sealed value reads <c>sy1.{key id}.{base64url(nonce | ciphertext | tag)}</c>;
/// the key id (a hash of the key, not the key) says which master key sealed it, so a wrong key is named as such,
/// and the row it belongs to is bound in as associated data, so a sealed value copied to another row does not open.
/// </summary>
internal sealed class CredentialVault
{
    public const string Variable = "SWITCHYARD_MASTER_KEY";
    private const string Version = "sy1";
    private const int NonceBytes = 12, TagBytes = 16, KeyBytes = 32;
    private readonly byte[]? _key;

    /// <param name="masterKey">The variable's value; null or empty: no key, nothing can be sealed or opened.</param>
    public CredentialVault(string? masterKey)
    {
        if (string.IsNullOrEmpty(masterKey))
        {
            return;
        }
        _key = Parse(masterKey) ?? throw new StoreException(
            $"{Variable} must be {KeyBytes} random bytes in base64 or hex (make one with: switchyard master-key new).");
        KeyId = IdOf(_key);
    }

    public static CredentialVault FromEnvironment() => new(Environment.GetEnvironmentVariable(Variable));

    public bool HasKey => _key is not null;

    /// <summary>Eight hex digits naming the master key (a hash of it): safe to print, to compare keys.</summary>
    public string? KeyId { get; }

    public string Seal(string plaintext, string context)
    {
        var key = _key ?? throw new StoreException($"Credentials are stored encrypted, and {Variable} is not set: set it to a master key (make one with: switchyard master-key new) and restart.");
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var sealedBytes = new byte[NonceBytes + plain.Length + TagBytes];
        var nonce = sealedBytes.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagBytes);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(NonceBytes, plain.Length), sealedBytes.AsSpan(NonceBytes + plain.Length), Encoding.UTF8.GetBytes(context));
        CryptographicOperations.ZeroMemory(plain);
        return $"{Version}.{KeyId}.{Base64Url(sealedBytes)}";
    }

    /// <summary>The plaintext of a sealed value; a <see cref="StoreException"/> that says why not (no key, another key, tampered).</summary>
    public string Open(string sealedValue, string context)
    {
        var parts = sealedValue.Split('.');
        if (parts is not [Version, var keyId, var body])
        {
            throw new StoreException($"A stored credential of {context} is not a sealed value: the store was written by something else.");
        }
        var key = _key ?? throw new StoreException(
            $"The store holds credentials encrypted under master key {keyId}, and {Variable} is not set: set it to that key and restart.");
        if (keyId != KeyId)
        {
            throw new StoreException(
                $"The store holds credentials encrypted under master key {keyId}, and {Variable} is master key {KeyId}: set the key they were sealed with (or rotate with: switchyard master-key rotate).");
        }
        byte[] bytes;
        try
        {
            bytes = FromBase64Url(body);
        }
        catch (FormatException)
        {
            throw new StoreException($"The stored credential of {context} is damaged.");
        }
        if (bytes.Length < NonceBytes + TagBytes)
        {
            throw new StoreException($"The stored credential of {context} is damaged.");
        }
        var plain = new byte[bytes.Length - NonceBytes - TagBytes];
        try
        {
            using var aes = new AesGcm(key, TagBytes);
            aes.Decrypt(bytes.AsSpan(0, NonceBytes), bytes.AsSpan(NonceBytes, plain.Length), bytes.AsSpan(NonceBytes + plain.Length), plain, Encoding.UTF8.GetBytes(context));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new StoreException($"The stored credential of {context} does not open under master key {KeyId}: it was changed or belongs to another row.");
        }
        return Encoding.UTF8.GetString(plain);
    }

    /// <summary>The key id a sealed value names, or null when it is not one.</summary>
    public static string? KeyIdOf(string sealedValue) => sealedValue.Split('.') is [Version, var id, _] ? id : null;

    /// <summary>A fresh master key, base64, for <c>switchyard master-key new</c>.</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeyBytes));

    private static byte[]? Parse(string text)
    {
        text = text.Trim();
        if (text.Length == KeyBytes * 2 && text.All(Uri.IsHexDigit))
        {
            return Convert.FromHexString(text);
        }
        try
        {
            var bytes = FromBase64Url(text.Replace('+', '-').Replace('/', '_').TrimEnd('='));
            return bytes.Length == KeyBytes ? bytes : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string IdOf(byte[] key) =>
        Convert.ToHexStringLower(SHA256.HashData([.. "switchyard master key id:"u8, .. key]))[..8];

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    private static byte[] FromBase64Url(string text) => System.Buffers.Text.Base64Url.DecodeFromChars(text);
}
