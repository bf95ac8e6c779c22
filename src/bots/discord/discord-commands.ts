import { REST, Routes } from 'discord.js';
import { ErrorCode, GpuopsError } from '../../errors.ts';

/** `/gpu request:<text>`: everything gpuops does, in the user's own words. */
export const GPU_COMMAND = {
  name: 'gpu',
  type: 1,
  description: 'Ask gpuops: GPU advice, deploy, pause, resume, destroy, list, status',
  options: [
    {
      type: 3,
      name: 'request',
      description: 'What you need, e.g. "what do I need to serve Llama 3.1 8B?" or "list my instances"',
      required: true,
      max_length: 4_000,
    },
  ],
  // Usable in servers and in direct messages with the bot.
  contexts: [0, 1],
  integration_types: [0],
} as const;

export interface RegisterOptions {
  token: string;
  applicationId: string;
  apiUrl?: string | undefined;
  /** A guild's commands update at once; global ones can take up to an hour to appear. */
  guild?: string | undefined;
}

/** Registers (overwrites) gpuops's commands, globally or in one guild; returns where. */
export async function registerDiscordCommands(options: RegisterOptions): Promise<string> {
  const rest = new REST({
    ...(options.apiUrl && { api: options.apiUrl }),
    timeout: 15_000,
    retries: 3,
  }).setToken(options.token);
  const route = options.guild
    ? Routes.applicationGuildCommands(options.applicationId, options.guild)
    : Routes.applicationCommands(options.applicationId);
  try {
    await rest.put(route, { body: [GPU_COMMAND] });
  } catch (err) {
    throw new GpuopsError(
      ErrorCode.ConfigInvalid,
      `Discord refused the command registration (${err instanceof Error ? err.message : String(err)}). Check DISCORD_TOKEN and DISCORD_APPLICATION_ID${options.guild ? ', and that the bot was invited to that server with the applications.commands scope' : ''}.`,
      { cause: err },
    );
  }
  return options.guild ? `server ${options.guild}` : 'all servers (global; may take up to an hour to show)';
}
