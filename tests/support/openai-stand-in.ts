import Fastify from 'fastify';

/** Token counts a reply reports in its `usage`; 10 prompt and 10 completion tokens unless set. */
export interface ScriptedUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** One reply of the stand-in: text, or tool calls as the OpenAI chat completions API sends them. */
export type ScriptedReply =
  | { content: string; usage?: ScriptedUsage }
  | {
      /** `raw` is sent as the arguments string as it is (broken JSON, "", a Python dict...). */
      toolCalls: Array<{ name: string; arguments?: Record<string, unknown>; raw?: string }>;
      usage?: ScriptedUsage;
    }
  /** Answers with this HTTP status and an OpenAI-style error body. */
  | { httpError: number }
  /** Answers only after this long: a model that hangs past the client's timeout. */
  | { delayMs: number; answer: { content: string } };

export interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content: unknown; tool_calls?: unknown[]; tool_call_id?: string }>;
  tools?: Array<{
    type: string;
    function: { name: string; description?: string; parameters: Record<string, unknown> };
  }>;
}

export interface OpenAiStandInOptions {
  /**
   * The only API key it accepts. A request with another gets OpenAI's 401 (code
   * invalid_api_key), whose message quotes the key it was sent: whole, as some OpenAI-compatible
   * servers do (OpenAI itself shows its first and last characters).
   */
  apiKey?: string;
}

export interface OpenAiStandIn {
  baseUrl: string;
  requests: ChatRequest[];
  /** Keys it refused, as it quoted them back. */
  refusedKeys: string[];
  close(): Promise<void>;
}

/**
 * A local OpenAI-compatible server (POST /v1/chat/completions) that answers from a script, so
 * the real OpenAI client and LangChain run over real HTTP.
 */
export async function startOpenAiStandIn(
  script: (request: ChatRequest, index: number) => ScriptedReply,
  options: OpenAiStandInOptions = {},
): Promise<OpenAiStandIn> {
  const app = Fastify();
  const requests: ChatRequest[] = [];
  const refusedKeys: string[] = [];
  let callCounter = 0;
  app.post('/v1/chat/completions', async (req, reply) => {
    const sent = /^Bearer (.*)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (options.apiKey !== undefined && sent !== options.apiKey) {
      refusedKeys.push(sent);
      return reply.code(401).send({
        error: {
          message: `Incorrect API key provided: ${sent}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      });
    }
    const body = req.body as ChatRequest;
    requests.push(body);
    let scripted = script(body, requests.length - 1);
    if ('delayMs' in scripted) {
      const { delayMs, answer } = scripted;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      scripted = answer;
    }
    if ('httpError' in scripted) {
      return reply.code(scripted.httpError).send({
        error: {
          message: 'The server had an error while processing your request.',
          type: 'server_error',
          code: null,
        },
      });
    }
    const usage = scripted.usage ?? { prompt_tokens: 10, completion_tokens: 10 };
    const message =
      'content' in scripted
        ? { role: 'assistant', content: scripted.content }
        : {
            role: 'assistant',
            content: null,
            tool_calls: scripted.toolCalls.map((call) => ({
              id: `call_${++callCounter}`,
              type: 'function',
              function: { name: call.name, arguments: call.raw ?? JSON.stringify(call.arguments ?? {}) },
            })),
          };
    return reply.send({
      id: `chatcmpl-${requests.length}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [
        { index: 0, message, finish_reason: 'content' in scripted ? 'stop' : 'tool_calls', logprobs: null },
      ],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    });
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return { baseUrl: `${address}/v1`, requests, refusedKeys, close: () => app.close() };
}
