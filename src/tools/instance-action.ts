import type { InstanceRow } from '../../db/schema.ts';
import { instanceRef } from '../domain/instance-ref.ts';
import type { InstanceState } from '../domain/instance-states.ts';
import type { OperationKind } from '../domain/operations.ts';
import type { RequestContext } from '../domain/request-context.ts';
import { ErrorCode, GpuopsError } from '../errors.ts';
import { loadCurrentInstance } from './instance-access.ts';
import { assertNotBusy } from './instance-busy.ts';
import type { OperationInputsIn } from './schemas.ts';
import type { ToolResult, ToolServices } from './tool.ts';

/** What sets one instance action apart from the others, before its operation is chosen. */
export interface InstanceActionRule {
  /** The states the action starts from. */
  from: readonly InstanceState[];
  /** What the requester is told when the instance is in any other state. */
  refusal(ref: string, state: InstanceState): string;
  /**
   * Queued operations of these kinds on the instance give way to this one instead of refusing it.
   * Default none.
   */
  supersedes?: readonly OperationKind[];
}

/** One operation an action starts, its data held to its kind's schema. */
export interface InstanceOperation<K extends OperationKind> {
  kind: K;
  /** `OperationArgsIn<K>`, indexed so that the enqueuer sees its own type for a kind not yet known. */
  args: OperationInputsIn[K];
  /** The answer in chat, before the operation's id. */
  answer: string;
  /** Facts the structured result carries besides the operation and the instance. */
  data?: Record<string, unknown>;
}

export interface InstanceAction {
  /**
   * The requester's instance, settled against the provider, not busy and in a state the action
   * starts from; else the refusal. Run before asking and again before acting, so nothing is asked
   * in vain and nothing acts on a state that changed while the question was open.
   */
  load(
    services: Pick<ToolServices, 'db' | 'provider'>,
    ref: string,
    ctx: RequestContext,
  ): Promise<InstanceRow>;
  /** Enqueues the operation on a loaded instance and answers with it. */
  start<K extends OperationKind>(
    services: Pick<ToolServices, 'operations'>,
    ctx: RequestContext,
    row: InstanceRow,
    operation: InstanceOperation<K>,
  ): Promise<ToolResult>;
}

/**
 * The load, busy, state, enqueue and answer that every action on one instance shares. The busy
 * check comes before the state check: an instance something is moving is refused with what moves
 * it, which says when to try again, rather than with the passing state it is in.
 */
export function instanceAction(rule: InstanceActionRule): InstanceAction {
  const supersedes = rule.supersedes ?? [];
  return {
    async load(services, ref, ctx) {
      const row = await loadCurrentInstance(services, ref, ctx);
      await assertNotBusy(services.db, row, supersedes);
      if (!rule.from.includes(row.state)) {
        throw new GpuopsError(ErrorCode.InvalidState, rule.refusal(instanceRef(row.id), row.state));
      }
      return row;
    },
    async start(services, ctx, row, operation) {
      const job = await services.operations.enqueue({
        kind: operation.kind,
        args: operation.args,
        context: ctx,
        instanceId: row.id,
        supersedes,
      });
      return {
        text: `${operation.answer} Operation ${job.operationId}.`,
        data: { operation: job.operationId, instance: instanceRef(row.id), ...operation.data },
        job,
      };
    },
  };
}
