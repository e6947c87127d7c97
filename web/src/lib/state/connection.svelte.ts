export type ConnectionStatus = 'connecting' | 'online' | 'reconnecting'

/** The socket's state as the UI shows it. */
class Connection {
  status = $state<ConnectionStatus>('connecting')

  /** The banner shows while we are (re)trying, not during the first quick connect. */
  get showBanner(): boolean {
    return this.status === 'reconnecting'
  }

  online(): void {
    this.status = 'online'
  }

  lost(): void {
    this.status = 'reconnecting'
  }
}

export const connection = new Connection()
