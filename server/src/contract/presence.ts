/** Distinct people online across every instance: a person with several tabs counts once. */
export type PresenceCounts = { guests: number; users: number }
