using System.Text;
using System.Text.Json;
using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;
using Switchyard.Protocols.Sse;

namespace Switchyard.Protocols.Responses;

/// <summary>
/// A Responses upstream's event stream → canonical events (MAPPING §12.7). Items become sequential blocks: text
/// parts a text block, reasoning summaries a thinking block (never Anthropic-signed), each function or custom tool
/// call a tool block. Arguments that arrive only in <c>.done</c> (no deltas) are sent whole; a custom tool's input is
/// sent as the <c>{"input": …}</c> of its function when it is complete. <c>response.completed</c> /
/// <c>response.incomplete</c> end the message with the usage; <c>response.failed</c> and <c>error</c> are errors.
/// </summary>
public sealed class ResponsesStreamDecoder : IStreamDecoder
{
    private readonly BlockSequencer _blocks = new();
    /// <summary>Output index → the call's block and what of its arguments was already sent.</summary>
    private readonly Dictionary<int, Call> _calls = [];
    private bool _started;
    private bool _calledTools;
    private int _summaryIndex = -1;

    private sealed class Call(int block, bool custom)
    {
        public int Block { get; } = block;
        public bool Custom { get; } = custom;
        public bool Sent { get; set; }
        public StringBuilder Input { get; } = new();
    }

    public bool IsFinished { get; private set; }

    public void OnEvent(SseEvent sse, List<StreamEvent> output)
    {
        if (IsFinished || sse.Data.IsEmpty || sse.ParseJson() is not { } doc)
        {
            return; // keep-alives and non-JSON noise are skipped (P35)
        }
        using (doc)
        {
            try
            {
                OnJson(doc.RootElement, output);
            }
            catch (ProtocolException malformed)
            {
                output.Add(StreamErrorEvent.Malformed(malformed.Message));
                IsFinished = true;
            }
        }
    }

    public void OnEnd(List<StreamEvent> output)
    {
        if (!IsFinished)
        {
            output.Add(StreamErrorEvent.Malformed("the stream ended before response.completed"));
            IsFinished = true;
        }
    }

    private void OnJson(JsonElement e, List<StreamEvent> output)
    {
        if (e.ValueKind != JsonValueKind.Object || J.Text(e, "type"u8) is not { } type)
        {
            return;
        }
        if (type == "error")
        {
            output.Add(new StreamErrorEvent(ResponsesResponseCodec.ErrorOf(e)));
            IsFinished = true;
            return;
        }
        if (!_started)
        {
            var response = J.Has(e, "response"u8, out var r) ? r : default;
            output.Add(new MessageStartEvent(J.Text(response, "id"u8) ?? "resp", J.Text(response, "model"u8) ?? "", null));
            _started = true;
        }
        var index = J.Has(e, "output_index"u8, out var oi) && oi.ValueKind == JsonValueKind.Number && oi.TryGetInt32(out var n) ? n : -1;
        switch (type)
        {
            case "response.output_item.added" when J.Has(e, "item"u8, out var item):
                Added(item, index, output);
                break;
            case "response.output_text.delta" or "response.refusal.delta" when J.Text(e, "delta"u8) is { Length: > 0 } text:
                output.Add(new BlockDeltaEvent(_blocks.Ensure(BlockKind.Text, output), DeltaKind.Text, text));
                break;
            case "response.reasoning_summary_text.delta" or "response.reasoning_text.delta" when J.Text(e, "delta"u8) is { Length: > 0 } thought:
                {
                    var summary = J.Has(e, "summary_index"u8, out var si) && si.TryGetInt32(out var s) ? s : 0;
                    var block = _blocks.Ensure(BlockKind.Thinking, output);
                    if (_summaryIndex >= 0 && summary != _summaryIndex)
                    {
                        output.Add(new BlockDeltaEvent(block, DeltaKind.Thinking, "\n\n")); // summary parts are paragraphs
                    }
                    _summaryIndex = summary;
                    output.Add(new BlockDeltaEvent(block, DeltaKind.Thinking, thought));
                    break;
                }
            case "response.function_call_arguments.delta" when _calls.TryGetValue(index, out var call) && _blocks.Open == call.Block && J.Text(e, "delta"u8) is { Length: > 0 } args:
                output.Add(new BlockDeltaEvent(call.Block, DeltaKind.Arguments, args));
                call.Sent = true;
                break;
            case "response.function_call_arguments.done" when _calls.TryGetValue(index, out var call):
                SendWhole(call, J.Text(e, "arguments"u8), output);
                break;
            case "response.custom_tool_call_input.delta" when _calls.TryGetValue(index, out var call):
                call.Input.Append(J.Text(e, "delta"u8));
                break;
            case "response.custom_tool_call_input.done" when _calls.TryGetValue(index, out var call):
                SendWhole(call, J.Text(e, "input"u8), output);
                break;
            case "response.output_item.done":
                Done(index, J.Has(e, "item"u8, out var doneItem) ? doneItem : default, output);
                break;
            case "response.completed" or "response.incomplete":
                {
                    var response = J.Has(e, "response"u8, out var r) ? r : default;
                    _blocks.Close(output);
                    var reason = J.Has(response, "incomplete_details"u8, out var d) ? J.Text(d, "reason"u8) : null;
                    var usage = J.Has(response, "usage"u8, out var u) && u.ValueKind == JsonValueKind.Object ? ResponsesResponseCodec.DecodeUsage(u) : null;
                    output.Add(new MessageDeltaEvent(ResponsesResponseCodec.FinishOf(J.Text(response, "status"u8) ?? (type == "response.incomplete" ? "incomplete" : "completed"), reason, _calledTools), null, usage));
                    output.Add(MessageStopEvent.Instance);
                    IsFinished = true;
                    break;
                }
            case "response.failed":
                {
                    var error = J.Has(e, "response"u8, out var r) && J.Has(r, "error"u8, out var err) ? ResponsesResponseCodec.ErrorOf(err) : new GatewayError(ErrorKind.Internal, "The upstream's response failed.");
                    output.Add(new StreamErrorEvent(error));
                    IsFinished = true;
                    break;
                }
        }
    }

    private void Added(JsonElement item, int index, List<StreamEvent> output)
    {
        var kind = J.Text(item, "type"u8);
        if (kind is not ("function_call" or "custom_tool_call"))
        {
            _blocks.Close(output); // a message or reasoning item opens its block with its first text
            _summaryIndex = -1;
            return;
        }
        var custom = kind == "custom_tool_call";
        var block = _blocks.Start(BlockKind.ToolCall, output);
        output.Add(new BlockStartEvent(block, BlockKind.ToolCall)
        {
            ToolCallId = J.Text(item, "call_id"u8) ?? J.Text(item, "id"u8) ?? $"call_{index}",
            ToolName = ResponsesTools.Flatten(J.Text(item, "namespace"u8), J.Text(item, "name"u8) ?? ""),
        });
        _calls[index] = new Call(block, custom);
        _calledTools = true;
    }

    /// <summary>What of a call's arguments no delta carried: all of them (arguments only in <c>.done</c>), or a custom tool's whole input.</summary>
    private void SendWhole(Call call, string? whole, List<StreamEvent> output)
    {
        if (call.Sent || _blocks.Open != call.Block)
        {
            return;
        }
        var text = call.Custom ? ResponsesRequestDecoder.CustomArguments(whole ?? call.Input.ToString()) : whole;
        if (!string.IsNullOrEmpty(text))
        {
            output.Add(new BlockDeltaEvent(call.Block, DeltaKind.Arguments, text));
            call.Sent = true;
        }
    }

    private void Done(int index, JsonElement item, List<StreamEvent> output)
    {
        if (_calls.TryGetValue(index, out var call))
        {
            SendWhole(call, call.Custom ? J.Text(item, "input"u8) : J.Text(item, "arguments"u8), output);
            if (_blocks.Open == call.Block)
            {
                _blocks.Close(output);
            }
            return;
        }
        _blocks.Close(output);
    }
}
