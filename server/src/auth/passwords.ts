import bcrypt from 'bcrypt'

export type Passwords = {
  hash(password: string): Promise<string>
  /** Constant-ish time: compares against a dummy hash when there is no user, so timing does not tell. */
  verify(password: string, hash: string | null): Promise<boolean>
}

export function createPasswords({ cost }: { cost: number }): Passwords {
  const dummyHash = bcrypt.hashSync('parlor-dummy-password', cost)
  return {
    hash: (password) => bcrypt.hash(password, cost),
    async verify(password, hash) {
      const ok = await bcrypt.compare(password, hash ?? dummyHash)
      return ok && hash !== null
    },
  }
}
