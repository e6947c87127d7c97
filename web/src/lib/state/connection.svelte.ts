export type ConnectionStatus = 'connecting' | 'online' | 'reconnecting'

/** The socket's state as the UI shows it. */
class Connection {
  status = $state<ConnectionStatus>('connecting')
  /** Set after the first successful connection: later connects are re-connects that must resync. */
  everOnline = $state(false)

  /** The banner shows while we are (re)trying, not during the first quick connect. */
  get showBanner(): boolean {
    return this.status === 'reconnecting'
  }

  online(): void {
    this.status = 'online'
    this.everOnline = true
  }

  lost(): void {
    this.status = 'reconnecting'
  }
}

export const connection = new Connection()
