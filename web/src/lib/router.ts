// Client-side paths: `/` is the lobby, `/rooms/<id>` a room. The server answers every non-API path
// with index.html, so these survive a reload.

const ROOM_PATH = /^\/rooms\/([0-9a-f-]{36})\/?$/i

export function roomIdFromLocation(): string | null {
  return ROOM_PATH.exec(location.pathname)?.[1]?.toLowerCase() ?? null
}

export function showRoomInLocation(roomId: string, lobbyId: string): void {
  const path = roomId === lobbyId ? '/' : `/rooms/${roomId}`
  if (location.pathname !== path) history.pushState(null, '', path)
}

export function replaceLocationWithLobby(): void {
  if (location.pathname !== '/') history.replaceState(null, '', '/')
}

// Issue 19: the account settings page.
const SETTINGS_PATH = '/settings'

export const settingsInLocation = (): boolean => location.pathname === SETTINGS_PATH

export function showSettingsInLocation(): void {
  if (location.pathname !== SETTINGS_PATH) history.pushState(null, '', SETTINGS_PATH)
}
