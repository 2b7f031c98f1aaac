using Switchyard.Protocols.Canonical;
using Switchyard.Protocols.Json;

namespace Switchyard.Protocols.Responses;

/// <summary>Canonical <see cref="ChatResponse"/> → a Responses API <c>response</c> object (for a client).</summary>
public static class ResponsesResponseCodec
{
    public static byte[] Encode(ChatResponse response, ResponsesEcho echo)
    {
        var items = ResponsesOutput.ItemsOf(response, echo.Tools);
        var (status, reason) = ResponsesOutput.StatusOf(response.FinishReason);
        return J.WriteToBytes(w => ResponsesOutput.WriteResponse(w, echo, status, response.Model, items, done: true, response.Usage, reason));
    }
}
