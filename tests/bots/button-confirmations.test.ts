import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfirmation, getConfirmation } from '../../db/repositories/confirmations.ts';
import { ButtonConfirmations, CONFIRM_ACTION } from '../../src/bots/button-confirmations.ts';
import type { RequestContext } from '../../src/domain/request-context.ts';
import { silentLogger } from '../../src/log.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';

const context: RequestContext = {
  user: 'slack:T1:U1',
  userName: 'alice',
  platform: 'slack',
  channel: 'slack:T1:C1',
  thread: '171.1',
  replyTo: { surface: 'slack', channel: 'C1', workspace: 'T1', thread: '171.1' },
};

describe('a confirmation clicked with its Confirm button', () => {
  let database: TestDatabase;
  let confirmations: ButtonConfirmations;

  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    confirmations = new ButtonConfirmations(database.handle.db, silentLogger, 60_000);
  });
  afterAll(() => database?.cleanup());

  async function asked(id: string) {
    await createConfirmation(database.handle.db, {
      id,
      platform: 'slack',
      channel: context.channel,
      requester: context.user,
      requesterName: 'alice',
      question: 'Destroy i-3?',
      tool: 'destroy',
      args: { instance: 'i-3' },
      context,
      expiresAt: new Date(Date.now() + 60_000),
    });
  }

  const click = (id: string) =>
    confirmations.click({
      action: CONFIRM_ACTION,
      confirmationId: id,
      user: context.user,
      userName: 'alice',
      channel: context.channel,
    });

  it('runs as the request it was asked in, read back from the stored confirmation', async () => {
    await asked('cf-fits');
    expect(await click('cf-fits')).toMatchObject({ kind: 'confirmed', context });
  });

  it('refuses a stored request that does not read as one with a coded error, and decides nothing', async () => {
    await asked('cf-unfit');
    await database.handle.db
      .updateTable('confirmations')
      .set({ context: JSON.stringify({ ...context, replyTo: { surface: 'slack' } }) })
      .where('id', '=', 'cf-unfit')
      .execute();
    await expect(click('cf-unfit')).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringContaining('replyTo.channel'),
    });
    expect((await getConfirmation(database.handle.db, 'cf-unfit'))!.state).toBe('pending');
  });
});
