import Fastify from 'fastify';

/**
 * A protocol-level stand-in for the vast.ai API: a real HTTP server on 127.0.0.1 that records
 * every request and answers with whatever the test scripts, so the client is proven over the
 * wire (headers, bodies, status codes, timing) rather than against mocked functions.
 */

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or undefined. */
  body: unknown;
  /** performance.now() when it arrived. */
  at: number;
}

export type StubReply =
  | { status?: number; json: unknown; headers?: Record<string, string> }
  | { status: number; text: string; headers?: Record<string, string> }
  /** Never answers; the connection is cut when the stub closes. */
  | { hang: true };

export type StubHandler = (request: RecordedRequest, index: number) => StubReply | Promise<StubReply>;

export interface VastStub {
  baseUrl: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startVastStub(handler: StubHandler, port = 0): Promise<VastStub> {
  // forceCloseConnections: a hanging request must not keep close() waiting.
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const requests: RecordedRequest[] = [];
  const hanging: Array<() => void> = [];

  app.all('/*', async (req, reply) => {
    const [path = '', search = ''] = req.url.split('?');
    const recorded: RecordedRequest = {
      method: req.method,
      path,
      query: Object.fromEntries(new URLSearchParams(search)),
      headers: req.headers,
      body: req.body,
      at: performance.now(),
    };
    requests.push(recorded);
    const answer = await handler(recorded, requests.length - 1);
    if ('hang' in answer) {
      await new Promise<void>((resolve) => hanging.push(resolve));
      return reply;
    }
    reply.headers(answer.headers ?? {});
    if ('text' in answer) {
      return reply.code(answer.status).type('text/plain').send(answer.text);
    }
    return reply
      .code(answer.status ?? 200)
      .type('application/json')
      .send(JSON.stringify(answer.json));
  });

  await app.listen({ host: '127.0.0.1', port });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('stub did not bind a TCP port');
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    port: address.port,
    requests,
    close: async () => {
      await app.close();
      for (const release of hanging) release();
    },
  };
}

/** A port that nothing listens on: bound once, then released. */
export async function freePort(): Promise<number> {
  const stub = await startVastStub(() => ({ json: {} }));
  await stub.close();
  return stub.port;
}

/** An offer as vast.ai sends it, with the odd nulls and extra fields real ones have. */
export function rawOffer(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 9_100_001,
    ask_contract_id: 9_100_001,
    bundle_id: 77,
    machine_id: 4_242,
    host_id: 1_001,
    gpu_name: 'RTX 4090',
    num_gpus: 1,
    gpu_ram: 24_564,
    gpu_total_ram: 24_564,
    gpu_mem_bw: 1_008.2,
    cuda_max_good: 12.4,
    dph_total: 0.391,
    dph_base: 0.35,
    reliability: 0.9931,
    reliability2: 0.9931,
    dlperf: 82.1,
    dlperf_per_dphtotal: 209.9,
    inet_down: 812.5,
    inet_up: 640.2,
    geolocation: 'Oregon, US',
    disk_space: 412.57,
    cpu_name: null,
    verified: true,
    rentable: true,
    rented: false,
    ...overrides,
  };
}

/** An instance as `GET /api/v0/instances/{id}/` describes it. */
export function rawInstance(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 31_337,
    machine_id: 4_242,
    actual_status: 'running',
    intended_status: 'running',
    cur_state: 'running',
    next_state: 'running',
    status_msg: 'success, running pytorch/pytorch_latest/ssh',
    ssh_host: 'ssh4.vast.ai',
    ssh_port: 21_336,
    public_ipaddr: '203.0.113.7\n',
    ports: { '22/tcp': [{ HostIp: '0.0.0.0', HostPort: '41234' }] },
    dph_total: 0.412,
    storage_cost: 0.15,
    start_date: 1_760_000_000.25,
    label: 'gpuops:op-7',
    image_uuid: 'pytorch/pytorch:latest',
    gpu_name: 'RTX 4090',
    num_gpus: 1,
    gpu_util: null,
    disk_space: 40,
    extra_env: [['GPUOPS', '1']],
    ...overrides,
  };
}
