// Drives the official openai npm SDK's Responses API against a Switchyard URL and prints what it saw as JSON.
// Usage: node openai-responses-check.mjs <baseUrl> <apiKey> <model>
import OpenAI from "openai";

const [baseUrl, apiKey, model] = process.argv.slice(2);
const client = new OpenAI({ apiKey, baseURL: baseUrl + "/v1", maxRetries: 0 });
const out = {};

const text = await client.responses.create({ model, instructions: "Be brief.", input: "Hello" });
out.text = text.output_text;
out.status = text.status;
out.id = text.id;
out.usage = text.usage?.total_tokens ?? null;

// responses.stream: the helper that assembles events into a final response.
const stream = client.responses.stream({ model, input: "Hello" });
let streamed = "";
stream.on("response.output_text.delta", (e) => { streamed += e.delta; });
const final = await stream.finalResponse();
out.streamed = streamed;
out.streamedFinal = final.output_text;

const weather = {
  type: "function",
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};
const input = [{ role: "user", content: "Weather in Paris and Tokyo?" }];
for (const streaming of [false, true]) {
  const first = streaming
    ? await client.responses.stream({ model, input, tools: [weather] }).finalResponse()
    : await client.responses.create({ model, input, tools: [weather] });
  const calls = first.output.filter((o) => o.type === "function_call");
  const history = [...input, ...first.output, ...calls.map((c) => ({ type: "function_call_output", call_id: c.call_id, output: "18C" }))];
  const second = await client.responses.create({ model, input: history, tools: [weather], stream: false });
  out[streaming ? "streamedCalls" : "calls"] = calls.map((c) => ({ name: c.name, args: JSON.parse(c.arguments) }));
  out[streaming ? "streamedAfterTools" : "afterTools"] = second.output_text;
}

const followUp = await client.responses.create({ model, previous_response_id: text.id, input: "And again?" });
out.followUp = followUp.output_text;
const fetched = await client.responses.retrieve(text.id);
out.fetched = fetched.output_text;
const deleted = await client.responses.delete(text.id);
out.deleted = deleted === undefined ? true : deleted;
try {
  await client.responses.retrieve(text.id);
  out.afterDelete = "found";
} catch (e) {
  out.afterDelete = e.status;
}

console.log(JSON.stringify(out));
