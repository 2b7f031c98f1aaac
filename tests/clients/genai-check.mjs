// Drives the official @google/genai SDK against a Switchyard URL and prints what it saw as JSON.
// Usage: node genai-check.mjs <baseUrl> <apiKey> <model>
import { GoogleGenAI, Type } from "@google/genai";

const [baseUrl, apiKey, model] = process.argv.slice(2);
const ai = new GoogleGenAI({ apiKey, httpOptions: { baseUrl } });
const out = {};

const text = await ai.models.generateContent({ model, contents: "Hello", config: { systemInstruction: "Be brief." } });
out.text = text.text;
out.finish = text.candidates?.[0]?.finishReason;
out.usage = text.usageMetadata?.totalTokenCount ?? null;

let streamed = "";
let chunks = 0;
for await (const chunk of await ai.models.generateContentStream({ model, contents: "Hello" })) {
  chunks++;
  streamed += chunk.text ?? "";
}
out.streamed = streamed;
out.chunks = chunks;

const weather = {
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: Type.OBJECT, properties: { city: { type: Type.STRING } }, required: ["city"] },
};
const history = [{ role: "user", parts: [{ text: "Weather in Paris and Tokyo?" }] }];
const first = await ai.models.generateContent({ model, contents: history, config: { tools: [{ functionDeclarations: [weather] }] } });
out.calls = (first.functionCalls ?? []).map((c) => ({ name: c.name, args: c.args }));
history.push(first.candidates[0].content);
history.push({ role: "user", parts: (first.functionCalls ?? []).map((c) => ({ functionResponse: { name: c.name, id: c.id, response: { output: "18C" } } })) });
const second = await ai.models.generateContent({ model, contents: history, config: { tools: [{ functionDeclarations: [weather] }] } });
out.afterTools = second.text;

let streamedCalls = [];
for await (const chunk of await ai.models.generateContentStream({ model, contents: [history[0]], config: { tools: [{ functionDeclarations: [weather] }] } })) {
  for (const c of chunk.functionCalls ?? []) streamedCalls.push({ name: c.name, args: c.args });
}
out.streamedCalls = streamedCalls;

const count = await ai.models.countTokens({ model, contents: "How many tokens is this?" });
out.countTokens = count.totalTokens;

console.log(JSON.stringify(out));
