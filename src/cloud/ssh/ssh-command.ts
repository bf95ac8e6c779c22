/** The command a person pastes to reach an instance. Marketplace images log in as root. */
export function sshCommand(host: string, port: number, user = 'root'): string {
  return `ssh -p ${port} ${user}@${host}`;
}
