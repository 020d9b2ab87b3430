// The C side of the Lua/Swift boundary. `lua_error` longjmps, and a longjmp across Swift
// frames is undefined behaviour, so every error raised on behalf of Swift code is raised
// here, after the Swift frame has returned.
#ifndef TOPIARY_CLUASHIM_H
#define TOPIARY_CLUASHIM_H
#include <lua.h>

/// Result codes a Swift callback may return besides n >= 0 results.
enum {
    TOPIARY_ERROR = -1,      ///< message on top: raised with the caller's position (like luaL_error)
    TOPIARY_ARGERROR = -2,   ///< [arg index, message, the function's name or nil] on top: raised as luaL_argerror
    TOPIARY_RETHROW = -3,    ///< error object on top: raised unchanged (a nested pcall's error)
};

/// The Swift dispatcher: runs function `id` and returns n >= 0 or one of the codes above.
typedef int (*topiary_dispatch_fn)(lua_State *L, int id);
void topiary_set_dispatcher(topiary_dispatch_fn fn);

/// The Lua stack (main state or coroutine) that called the innermost bound function now
/// running on this OS thread, NULL when none is: where code called back from Swift runs
/// (a forward hook, a loader transform), since that stack is alive and running.
lua_State *topiary_calling_state(void);

/// Pushes a C closure that calls the dispatcher with `id`.
void topiary_pushfunction(lua_State *L, int id);

/// The id of a closure made by topiary_pushfunction at `idx`, or -1 for any other value.
int topiary_function_id(lua_State *L, int idx);

/// lua_pcall with a message handler that appends a traceback to string errors (unless the
/// message holds one already, from topiary_pcall_context). While it
/// runs, `L` (the main state or a Lua thread a callback runs on) is among the states an
/// interrupt stops.
int topiary_pcall(lua_State *L, int nargs, int nresults);
/// topiary_pcall without the message handler (the error object comes back unchanged).
int topiary_pcall_raw(lua_State *L, int nargs, int nresults);
/// topiary_pcall_raw, except that a string error comes back as "CONTEXT: message" with the
/// traceback of where it was raised (a traceback already in the message is kept as it is;
/// topiary_pcall's handler then adds none). Other error values come back unchanged.
int topiary_pcall_context(lua_State *L, int nargs, int nresults, const char *context);

/// Calls luaL_tolstring (which may run __tostring / __name) under pcall. On success the
/// string is on top and 0 is returned; otherwise the error message is on top.
int topiary_tolstring(lua_State *L, int idx);

/// Loads and runs nothing: compiles `code` as chunk `name`; 0 on success (function on top).
int topiary_load(lua_State *L, const char *code, size_t len, const char *name);

/// Ctrl-C: arms a hook that raises "interrupted!" at the next Lua instruction (in `L` and
/// in every state running under topiary_pcall), and sets the flag that long native kernels
/// poll. The first interrupt is raised once (pcall may catch it, as in lua.c); a second one
/// before topiary_clear_interrupt makes it sticky: the hook re-arms after raising, so the
/// error reaches the host through any number of pcalls. Safe to call from a signal handler
/// or another thread.
void topiary_interrupt(lua_State *L);
/// An interrupt that is sticky at once (a cell's timeout, os.exit in a notebook).
void topiary_interrupt_sticky(lua_State *L);
/// True when the pending interrupt is sticky.
int topiary_interrupt_is_sticky(void);
/// Arms the interrupt hook on `L` alone (no flag).
void topiary_arm(lua_State *L);
/// True when an interrupt is pending (native kernels poll this).
int topiary_interrupt_pending(void);
/// Clears the pending interrupt and the hooks it armed (before and after a command).
void topiary_clear_interrupt(void);
/// Installs a SIGINT handler that interrupts `L` (NULL restores the default handler).
void topiary_catch_sigint(lua_State *L);

/// luaL_loadfilex(L, path, NULL): compiles a file's bytes as they are (text or a
/// precompiled chunk), skipping a UTF-8 BOM and a first line starting with `#`, as lua.c
/// does. 0 on success (function on top), else the message is on top.
int topiary_loadfile(lua_State *L, const char *path);

/// Opens the standard libraries under pcall; 0 on success.
int topiary_openlibs(lua_State *L);

/// Creates a state with Lua's default allocator and a panic handler that prints.
lua_State *topiary_newstate(void);
#endif
