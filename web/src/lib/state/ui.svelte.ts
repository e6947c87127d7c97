/** What is open on screen: dialogs, the mobile room drawer, the participants panel. */
class Ui {
  /** The account dialog and which form it shows. */
  auth = $state<'login' | 'register' | null>(null)
  newRoom = $state(false)
  /** Issue 19: the "New message" dialog, the profile card (a username), the settings page. */
  newMessage = $state(false)
  profileCard = $state<string | null>(null)
  settings = $state(false)
  /** The room list on narrow screens (always visible on wide ones). */
  sidebarOpen = $state(false)
  /** Open by default where there is room for it beside the conversation. */
  participantsOpen = $state(typeof matchMedia === 'function' && matchMedia('(min-width: 1001px)').matches)
  /** Bumped to ask the composer to take focus (after logging in, after leaving a room). */
  composerFocus = $state(0)

  focusComposer(): void {
    this.composerFocus += 1
  }
}

export const ui = new Ui()
