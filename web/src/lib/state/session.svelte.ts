import type { GuestSessionDto, SessionDto, TChangePassword, TLogin, TRegister, UserDto } from '@contract/auth'
import type { TChangeEmail } from '@contract/profiles'
import { ApiError, send, useToken } from '../api'
import { useSocketToken } from '../realtime/socket'
import { KEYS, readJson, readText, writeJson, writeText } from '../storage'

type Listener = () => void

/**
 * Who this browser is: a signed-in user (token + user kept in localStorage so a reload keeps the
 * session) or a guest with a guest token shared by all tabs (so one guest in three tabs counts once).
 * Listeners hear every identity change; the realtime layer reconnects on it.
 */
class Session {
  user = $state<UserDto | null>(null)
  #userToken: string | null = null
  #guestToken: string | null = null
  #listeners = new Set<Listener>()

  constructor() {
    useToken(() => this.token)
    useSocketToken(() => this.token)
  }

  /** The token for REST and the socket handshake: the user's, else the guest's (null = anonymous). */
  get token(): string | null {
    return this.user ? this.#userToken : this.#guestToken
  }

  get isUser(): boolean {
    return this.user !== null
  }

  onChange(listener: Listener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Loads what localStorage holds; returns whether the identity differs from before. */
  restore(): boolean {
    const before = this.#identity()
    const stored = readJson<SessionDto>(KEYS.session)
    const valid = typeof stored?.token === 'string' && typeof stored.user?.username === 'string'
    this.#userToken = valid ? stored.token : null
    this.user = valid ? stored.user : null
    this.#guestToken = readText(KEYS.guest)
    return before !== this.#identity()
  }

  /** Guests get a signed guest id once and keep it, so reloads and other tabs count as the same guest. */
  async ensureGuestToken(): Promise<void> {
    if (this.user || this.#guestToken) return
    try {
      const { token } = await send<GuestSessionDto>('/api/auth/guest', { method: 'POST', token: null })
      this.#guestToken = token
      writeText(KEYS.guest, token)
    } catch {
      // Connect anonymously; the next start tries again.
    }
  }

  /** The guest token was refused (expired, or the server's secret changed): forget it. */
  dropGuestToken(): void {
    this.#guestToken = null
    writeText(KEYS.guest, null)
  }

  async login(input: TLogin): Promise<void> {
    this.#start(await send<SessionDto>('/api/auth/login', { method: 'POST', body: input, token: null }))
  }

  async register(input: TRegister): Promise<void> {
    this.#start(await send<SessionDto>('/api/auth/register', { method: 'POST', body: input, token: null }))
  }

  /** Ends the session on the server (all devices), then locally; we continue as a guest. */
  async logout(): Promise<void> {
    const token = this.#userToken
    this.end()
    if (token) await send('/api/auth/logout', { method: 'POST', token }).catch(() => {})
  }

  // Account settings (issue 19).

  /**
   * True while a request that revokes every token and hands this tab a new one is in flight: the
   * socket's `session:ended` and a refused reconnect with the old token are then expected.
   */
  rotating = false

  async changePassword(input: TChangePassword): Promise<void> {
    await this.#rotate(() => send<SessionDto>('/api/auth/password', { method: 'POST', body: input }))
  }

  /** Signs out every other session; this one continues with a new token. */
  async logoutOthers(): Promise<void> {
    await this.#rotate(() => send<SessionDto>('/api/auth/logout-others', { method: 'POST' }))
  }

  async changeEmail(input: TChangeEmail): Promise<void> {
    const { user } = await send<{ user: UserDto }>('/api/auth/email', { method: 'POST', body: input })
    if (!this.user || this.user.id !== user.id || !this.#userToken) return
    this.user = user
    writeJson(KEYS.session, { token: this.#userToken, user })
  }

  /** Deletes the account (messages stay, as "Deleted user"); we continue as a guest. */
  async deleteAccount(currentPassword: string): Promise<void> {
    this.rotating = true // the server cuts our socket; nothing to toast about it
    try {
      await send('/api/auth/account', { method: 'DELETE', body: { currentPassword } })
      this.end()
    } finally {
      this.rotating = false
    }
  }

  async #rotate(request: () => Promise<SessionDto>): Promise<void> {
    this.rotating = true
    try {
      const next = await request()
      // Same person, new token: no identity change (the socket reconnects with it by itself).
      this.#userToken = next.token
      this.user = next.user
      writeJson(KEYS.session, next)
    } finally {
      this.rotating = false
    }
  }

  /** Forgets the user locally (logout, revoked or expired session). Safe to call twice. */
  end(): void {
    if (!this.user) return
    this.#userToken = null
    this.user = null
    writeJson(KEYS.session, null)
    this.#emit()
  }

  /** Re-reads the signed-in user; a revoked or expired token ends the session. */
  async verify(): Promise<void> {
    if (!this.user) return
    try {
      const { user } = await send<{ user: UserDto }>('/api/auth/me')
      if (this.user) this.user = user
    } catch (err) {
      if (err instanceof ApiError && err.code === 'unauthenticated') this.end()
    }
  }

  /** Another tab logged in or out: follow it. */
  followOtherTab(): void {
    if (this.restore()) this.#emit()
  }

  #start(session: SessionDto): void {
    this.#userToken = session.token
    this.user = session.user
    writeJson(KEYS.session, session)
    this.#emit()
  }

  #identity(): string {
    return this.user ? `user:${this.user.id}` : 'guest'
  }

  #emit(): void {
    for (const listener of this.#listeners) listener()
  }
}

export const session = new Session()
