/** A process refused to start because another live process holds its directory; retrying will not help. */
export const DIRECTORY_IN_USE_EXIT = 3;
/** The configuration is invalid (every problem was printed). */
export const CONFIG_INVALID_EXIT = 2;
