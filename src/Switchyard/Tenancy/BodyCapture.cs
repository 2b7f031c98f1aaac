using System.Text;
using System.Text.RegularExpressions;

namespace Switchyard.Tenancy;

/// <summary>
/// A request body as a tenant with <c>capture_bodies</c> has it stored: the first 64 KB, every secret the gateway
/// knows masked, and anything shaped like a credential masked too (API keys, bearer tokens, JWTs, private keys), since
/// a prompt may carry keys the gateway has never seen.
/// </summary>
internal static partial class BodyCapture
{
    public const int MaxBytes = 64 * 1024;

    public static string Of(byte[] body, string[] secrets)
    {
        var length = Math.Min(body.Length, MaxBytes);
        while (length < body.Length && length > 0 && (body[length] & 0xC0) == 0x80)
        {
            length--; // never cut a character in two
        }
        var text = Inbound.ClientWriter.Redact(Encoding.UTF8.GetString(body, 0, length), secrets);
        return CredentialShaped().Replace(text, m => m.Value.Length <= 8 ? "***" : string.Concat(m.Value.AsSpan(0, 4), "***"));
    }

    [GeneratedRegex(@"(sk-[A-Za-z0-9_\-]{16,}|AIza[0-9A-Za-z_\-]{30,}|(?<=Bearer )[A-Za-z0-9._\-+/=]{16,}|eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}|-----BEGIN [A-Z ]*PRIVATE KEY-----[^-]*-----END [A-Z ]*PRIVATE KEY-----|(?:AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,})")]
    private static partial Regex CredentialShaped();
}
