import type { VastErrorBody } from './wire-types.ts';

/**
 * An answer the simulated API gives instead of a result: the HTTP status and the vast.ai error
 * body (`{success:false, error, msg}`). Thrown anywhere in the simulator, rendered by the server.
 */
export class SimApiError extends Error {
  readonly status: number;
  readonly error: string;

  constructor(status: number, error: string, msg: string) {
    super(msg);
    this.name = 'SimApiError';
    this.status = status;
    this.error = error;
  }

  toBody(): VastErrorBody {
    return { success: false, error: this.error, msg: this.message };
  }
}

export const invalidArgs = (msg: string): SimApiError => new SimApiError(400, 'invalid_args', msg);
