import { type APIInteractionGuildMember, GuildMember, type User } from 'discord.js';

/** The name people see: the server nickname, else the global display name, else the username. */
export function displayNameOf(member: GuildMember | APIInteractionGuildMember | null, user: User): string {
  return member instanceof GuildMember ? member.displayName : (member?.nick ?? user.displayName);
}
