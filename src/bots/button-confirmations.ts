import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import {
  confirmationContext,
  createConfirmation,
  decideConfirmation,
  expireConfirmations,
  getConfirmation,
  setConfirmationMessage,
} from '../../db/repositories/confirmations.ts';
import type { ConfirmationRow, Database } from '../../db/schema.ts';
import type { ChatSurface, ConfirmAnswer, ConfirmOptions } from '../agent/chat-surface.ts';
import type { ReplyTarget, RequestContext } from '../domain/request-context.ts';
import { formatElapsed } from '../format/text.ts';

/** The action ids of the two buttons; the clicked button's value is the confirmation's id. */
export const CONFIRM_ACTION = 'gpuops_confirm';
export const CANCEL_ACTION = 'gpuops_cancel';

/** A click as an adapter reads it: which button, on which confirmation, by whom. */
export interface ButtonClick {
  action: string;
  confirmationId: string;
  /** Platform-qualified, as RequestContext.user. */
  user: string;
  userName: string;
  /**
   * The platform-qualified channel the click came from (`slack:T1:C1`; a Discord thread's parent),
   * as the platform says, never as the payload's button value says.
   */
  channel: string;
}

export type ClickOutcome =
  | { kind: 'unknown'; text: string }
  | { kind: 'elsewhere'; text: string }
  | { kind: 'not-requester'; text: string }
  | { kind: 'closed'; row: ConfirmationRow; text: string }
  | { kind: 'declined'; row: ConfirmationRow; text: string }
  | { kind: 'confirmed'; row: ConfirmationRow; context: RequestContext; text: string };

/**
 * Confirmations asked with Confirm and Cancel buttons. The question and the exact call it would
 * run are stored, so whichever bot process receives the click (or one restarted since) can run
 * it; only the requester's click in the channel it was asked in counts, once, and only until the
 * question expires.
 */
export class ButtonConfirmations {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly log: Logger,
    private readonly ttlMs: number,
  ) {}

  /** Stores the call and posts the question with its buttons in `surface`. */
  async ask(
    surface: ChatSurface,
    where: ReplyTarget,
    question: string,
    options: ConfirmOptions | undefined,
  ): Promise<ConfirmAnswer> {
    const call = options?.call;
    // Nothing to run later without the call itself: better to say no than to ask in vain.
    if (!call) return false;
    const id = `cf-${randomBytes(8).toString('hex')}`;
    const requesterName = call.context.userName ?? call.context.user;
    await createConfirmation(this.db, {
      id,
      platform: surface.name,
      channel: call.context.channel,
      requester: call.context.user,
      requesterName,
      question,
      tool: call.tool,
      args: call.args,
      context: call.context,
      expiresAt: new Date(Date.now() + this.ttlMs),
    });
    const ref = await surface.post({
      kind: 'reply',
      text: `${question}\nOnly ${requesterName} can confirm; the buttons expire in ${formatElapsed(this.ttlMs)}.`,
      actions: [
        { id: CONFIRM_ACTION, label: 'Confirm', style: 'danger', value: id },
        { id: CANCEL_ACTION, label: 'Cancel', value: id },
      ],
    });
    await setConfirmationMessage(this.db, id, { ...where, message: ref.id });
    return 'pending';
  }

  /** Decides a confirmation from a click; nothing runs unless the outcome is `confirmed`. */
  async click(click: ButtonClick): Promise<ClickOutcome> {
    if (click.action !== CONFIRM_ACTION && click.action !== CANCEL_ACTION) {
      return { kind: 'unknown', text: 'That button is not one of gpuops’s; nothing was done.' };
    }
    const row = await getConfirmation(this.db, click.confirmationId);
    if (!row) {
      return {
        kind: 'unknown',
        text: 'That confirmation no longer exists; nothing was done. Ask again if you still want it.',
      };
    }
    // A confirmation belongs to the workspace and channel it was asked in: a click from anywhere
    // else (a forged payload, a copied button) would run the call and post its answer there.
    if (row.channel !== click.channel) {
      return {
        kind: 'elsewhere',
        text: 'That confirmation was asked in another channel; nothing was done. Confirm it where it was asked.',
      };
    }
    if (row.requester !== click.user) {
      return {
        kind: 'not-requester',
        text: `Only ${row.requester_name} can confirm this; nothing was done.`,
      };
    }
    const decision = click.action === CONFIRM_ACTION ? 'confirmed' : 'declined';
    // Read before deciding: a stored request that does not fit refuses the click and leaves the
    // question open (to expire), rather than deciding a confirmation nothing can run.
    const context = decision === 'confirmed' ? confirmationContext(row) : undefined;
    const decided = await decideConfirmation(this.db, row.id, decision, click.user);
    if (!decided) {
      const now = (await getConfirmation(this.db, row.id)) ?? row;
      return { kind: 'closed', row: now, text: closedText(now) };
    }
    if (context === undefined) {
      return { kind: 'declined', row: decided, text: `🚫 Cancelled by ${click.userName}: nothing changed.` };
    }
    return { kind: 'confirmed', row: decided, context, text: `✅ Confirmed by ${click.userName}.` };
  }

  /** Expires questions past their time; returns them so their buttons can be replaced. */
  async expireDue(platform: string): Promise<ConfirmationRow[]> {
    return expireConfirmations(this.db, platform).catch((err: unknown) => {
      this.log.warn({ err }, 'could not expire confirmations');
      return [];
    });
  }
}

/** What a confirmation's message says once its buttons are gone. */
export function closedText(row: ConfirmationRow): string {
  const question = row.question;
  switch (row.state) {
    case 'confirmed':
      return `${question}\n✅ Already confirmed; it ran once.`;
    case 'declined':
      return `${question}\n🚫 Already cancelled; nothing changed.`;
    default:
      return `${question}\n⌛ This confirmation expired; nothing was done. Ask again if you still want it.`;
  }
}
