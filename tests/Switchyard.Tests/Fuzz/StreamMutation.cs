using System.Text;
using CsCheck;

namespace Switchyard.Tests.Fuzz;

/// <summary>
/// One mutation of an upstream SSE stream, as plain numbers so that CsCheck can shrink a failing case: which event,
/// what to do to it (or to the framing, or to the bytes), and — for a mutated payload — the JSON mutation to apply.
/// </summary>
internal readonly record struct StreamMutation(int Event, int Kind, int At, BodyMutation Json)
{
    private const int Kinds = 12;

    public static readonly Gen<StreamMutation> Gen =
        CsCheck.Gen.Select(CsCheck.Gen.Int[0, 64], CsCheck.Gen.Int[0, Kinds - 1], CsCheck.Gen.Int[0, 1 << 20], BodyMutation.Gen,
            (e, kind, at, json) => new StreamMutation(e, kind, at, json));

    /// <summary>One to three mutations applied in order.</summary>
    public static readonly Gen<StreamMutation[]> Several = Gen.Array[1, 3];

    public override string ToString() => Kind == 0 ? $"event {Event}: {Json}" : $"{Name} at event {Event} / byte {At}";

    private string Name => Kind switch
    {
        1 => "delete the event", 2 => "duplicate the event", 3 => "swap with the next event", 4 => "[DONE] before the event",
        5 => "truncate the stream", 6 => "CRLF framing", 7 => "CR framing", 8 => "keep-alive comment and non-JSON data",
        9 => "invalid UTF-8 in the event", 10 => "merge with the next event", 11 => "an unknown event", _ => "?",
    };

    /// <summary>The stream's events: each the text between blank lines (<c>event:</c> and <c>data:</c> lines).</summary>
    public static List<string> Events(string stream) =>
        [.. stream.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)];

    public static byte[] Apply(string stream, StreamMutation[] mutations)
    {
        var events = Events(stream).Select(Encoding.UTF8.GetBytes).ToList();
        var framing = "\n"u8.ToArray();
        int? cut = null;
        foreach (var m in mutations)
        {
            m.Apply(events, ref framing, ref cut);
        }
        var bytes = new List<byte>();
        foreach (var e in events)
        {
            bytes.AddRange(framing.Length == 1 ? e : Reframe(e, framing));
            bytes.AddRange(framing);
            bytes.AddRange(framing);
        }
        var all = bytes.ToArray();
        return cut is { } at ? all[..(at % (all.Length + 1))] : all;
    }

    private void Apply(List<byte[]> events, ref byte[] framing, ref int? cut)
    {
        if (events.Count == 0)
        {
            return;
        }
        var i = Event % events.Count;
        switch (Kind)
        {
            case 0:
                events[i] = MutatePayload(events[i]);
                break;
            case 1:
                events.RemoveAt(i);
                break;
            case 2:
                events.Insert(i, events[i]);
                break;
            case 3 when i + 1 < events.Count:
                (events[i], events[i + 1]) = (events[i + 1], events[i]);
                break;
            case 4:
                events.Insert(i, "data: [DONE]"u8.ToArray());
                break;
            case 5:
                cut = At;
                break;
            case 6:
                framing = "\r\n"u8.ToArray();
                break;
            case 7:
                framing = "\r"u8.ToArray();
                break;
            case 8:
                events.Insert(i, ": keep-alive\ndata: not json at all"u8.ToArray());
                break;
            case 9:
                events[i] = [.. events[i][..(At % events[i].Length)], 0xC3, .. events[i][(At % events[i].Length)..]];
                break;
            case 10 when i + 1 < events.Count:
                events[i] = [.. events[i], (byte)'\n', .. events[i + 1]];
                events.RemoveAt(i + 1);
                break;
            case 11:
                events.Insert(i, "event: surprise\ndata: {\"type\":\"surprise\",\"index\":0}"u8.ToArray());
                break;
        }
    }

    /// <summary>The event with its (last) <c>data:</c> payload mutated as a JSON body.</summary>
    private byte[] MutatePayload(byte[] evt)
    {
        var text = Encoding.UTF8.GetString(evt);
        var at = text.LastIndexOf("data:", StringComparison.Ordinal);
        if (at < 0)
        {
            return evt;
        }
        var start = Encoding.UTF8.GetByteCount(text.AsSpan(0, at)) + (text.AsSpan(at).StartsWith("data: ") ? 6 : 5);
        var payload = Json.Apply(evt[start..]);
        // A mutated payload stays one data line: a raw newline inside it would end the event.
        return [.. evt[..start], .. payload.Select(b => b is (byte)'\n' or (byte)'\r' ? (byte)' ' : b)];
    }

    private static byte[] Reframe(byte[] evt, byte[] framing)
    {
        var lines = new List<byte>();
        foreach (var b in evt)
        {
            if (b == (byte)'\n')
            {
                lines.AddRange(framing);
            }
            else
            {
                lines.Add(b);
            }
        }
        return [.. lines];
    }
}
