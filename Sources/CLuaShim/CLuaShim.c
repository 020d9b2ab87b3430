#include "CLuaShim.h"
#include <lauxlib.h>
#include <lualib.h>
#include <signal.h>
#include <string.h>

static topiary_dispatch_fn dispatcher = NULL;

void topiary_set_dispatcher(topiary_dispatch_fn fn) { dispatcher = fn; }

/* The stack of the Lua code that called the innermost bound function still running on this
   OS thread (a coroutine's when the call came from one). Set around each dispatch, restored
   before any error is raised, so it is never a stack that is not running. */
static _Thread_local lua_State *calling_state = NULL;

lua_State *topiary_calling_state(void) { return calling_state; }

static int trampoline(lua_State *L) {
    int id = (int)lua_tointeger(L, lua_upvalueindex(1));
    lua_State *outer = calling_state;
    calling_state = L;
    int n = dispatcher(L, id);
    calling_state = outer;
    if (n >= 0) return n;
    if (n == TOPIARY_ARGERROR) {   /* [arg index, message, the function's name or nil] */
        int arg = (int)lua_tointeger(L, -3);
        const char *msg = lua_tostring(L, -2);
        const char *qualified = lua_tostring(L, -1);
        lua_Debug ar;
        /* Lua names the function from its call (or package.loaded's first level); when it
           cannot (pcall(nn.zoo.resnet56, 5), pcall(x.view, x, "a")), its own name does */
        if (qualified && lua_getstack(L, 0, &ar) && lua_getinfo(L, "n", &ar) && ar.name == NULL)
            return luaL_error(L, "bad argument #%d to '%s' (%s)", arg, qualified, msg ? msg : "?");
        return luaL_argerror(L, arg, msg ? msg : "?");
    }
    if (n == TOPIARY_ERROR && lua_type(L, -1) == LUA_TSTRING) {
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

void topiary_pushfunction(lua_State *L, int id) {
    lua_pushinteger(L, id);
    lua_pushcclosure(L, trampoline, 1);
}

int topiary_function_id(lua_State *L, int idx) {
    if (lua_tocfunction(L, idx) != trampoline) return -1;
    if (lua_getupvalue(L, idx, 1) == NULL) return -1;
    int id = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    return id;
}

static int msghandler(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    /* an error raised again from a callback that took its traceback where it began (see
       context_handler) already shows the whole stack */
    if (strstr(msg, "\nstack traceback:\n") != NULL) return 1;
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* The handler of topiary_pcall_context: a string error gets the context (upvalue 1) in
   front and the traceback of where it was raised; any other error value is kept as it is. */
static int context_handler(lua_State *L) {
    if (lua_type(L, 1) != LUA_TSTRING) return 1;
    if (strstr(lua_tostring(L, 1), "\nstack traceback:\n") != NULL) return 1;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushliteral(L, ": ");
    lua_pushvalue(L, 1);
    lua_concat(L, 3);
    luaL_traceback(L, L, lua_tostring(L, -1), 1);
    return 1;
}

/* The states (the main one and Lua threads that callbacks run on) that are running Lua
   under topiary_pcall / topiary_pcall_raw, innermost last. An interrupt arms its hook on
   every one of them: a hook is per thread, so one armed on the main state alone would not
   stop a loop in a loader transform running on a thread of its own. Written only by the
   thread that runs Lua; read by the signal handler and the watchdog's timer thread. */
#define MAX_RUNNING 64
static lua_State *volatile running[MAX_RUNNING];
static volatile sig_atomic_t nrunning = 0;

static void stop_hook(lua_State *L, lua_Debug *ar);
static volatile sig_atomic_t sticky;

static void enter(lua_State *L) {
    int n = nrunning;
    if (n < MAX_RUNNING) running[n] = L;
    nrunning = n + 1;
}

static void leave(lua_State *L) {
    nrunning = nrunning - 1;
    /* A hook left armed on a thread by an interrupt that has been dealt with must not stop
       its next call. */
    if (L && lua_gethook(L) == stop_hook && !topiary_interrupt_pending()) lua_sethook(L, NULL, 0, 0);
}

/* handler: 0 none, 1 msghandler, 2 context_handler with `context`. */
static int pcall_with(lua_State *L, int nargs, int nresults, int handler, const char *context) {
    int base = lua_gettop(L) - nargs;
    if (handler == 2) {
        lua_pushstring(L, context);
        lua_pushcclosure(L, context_handler, 1);
        lua_insert(L, base);
    } else if (handler) {
        lua_pushcfunction(L, msghandler);
        lua_insert(L, base);
    }
    if (lua_gethook(L) == stop_hook && !topiary_interrupt_pending()) lua_sethook(L, NULL, 0, 0);
    enter(L);
    if (sticky) topiary_arm(L);   /* a sticky interrupt reaches callbacks called after it */
    int status = lua_pcall(L, nargs, nresults, handler ? base : 0);
    leave(L);
    if (handler) lua_remove(L, base);
    return status;
}

int topiary_pcall(lua_State *L, int nargs, int nresults) { return pcall_with(L, nargs, nresults, 1, NULL); }

int topiary_pcall_raw(lua_State *L, int nargs, int nresults) { return pcall_with(L, nargs, nresults, 0, NULL); }

int topiary_pcall_context(lua_State *L, int nargs, int nresults, const char *context) {
    return pcall_with(L, nargs, nresults, 2, context);
}

static int tolstring_p(lua_State *L) {
    luaL_tolstring(L, 1, NULL);
    return 1;
}

int topiary_tolstring(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    lua_pushcfunction(L, tolstring_p);
    lua_pushvalue(L, idx);
    return lua_pcall(L, 1, 1, 0);
}

int topiary_load(lua_State *L, const char *code, size_t len, const char *name) {
    return luaL_loadbufferx(L, code, len, name, NULL);
}

static volatile sig_atomic_t pending = 0;   /* Ctrl-Cs (or watchdog firings) since the last clear */
static volatile sig_atomic_t sticky = 0;   /* the hook re-arms: an interrupt pcall cannot swallow */
static lua_State *sigint_state = NULL;

static void stop_hook(lua_State *L, lua_Debug *ar) {
    /* Raise in Lua code only. A call or return event of a C function (the traceback
       handler running for a native kernel's "interrupted" error, a finalizer) would
       replace that error or be swallowed; the next Lua instruction stops instead. */
    if (ar->event == LUA_HOOKCALL || ar->event == LUA_HOOKRET || ar->event == LUA_HOOKTAILCALL) {
        if (lua_getinfo(L, "S", ar) && ar->what[0] == 'C') return;
    }
    /* A first Ctrl-C is raised once, as lua.c does: a script may catch it with pcall.
       Once sticky, the hook stays armed and every Lua instruction raises again, so the
       error reaches the host however many pcalls catch it on the way. */
    if (!sticky) lua_sethook(L, NULL, 0, 0);
    luaL_error(L, "interrupted!");
}

void topiary_arm(lua_State *L) {
    if (L) lua_sethook(L, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

static void arm_all(lua_State *L) {
    topiary_arm(L);
    int n = nrunning;
    if (n > MAX_RUNNING) n = MAX_RUNNING;
    for (int i = 0; i < n; i++) if (running[i] != L) topiary_arm(running[i]);
}

void topiary_interrupt(lua_State *L) {
    /* A second interrupt before the host has cleared the first makes it sticky. */
    if (pending) sticky = 1;
    pending = pending + 1;
    arm_all(L);
}

void topiary_interrupt_sticky(lua_State *L) {
    sticky = 1;
    pending = pending + 1;
    arm_all(L);
}

int topiary_interrupt_pending(void) { return pending != 0; }

int topiary_interrupt_is_sticky(void) { return sticky != 0; }

void topiary_clear_interrupt(void) {
    pending = 0;
    sticky = 0;
    if (sigint_state) lua_sethook(sigint_state, NULL, 0, 0);
    int n = nrunning;
    if (n > MAX_RUNNING) n = MAX_RUNNING;
    for (int i = 0; i < n; i++)
        if (lua_gethook(running[i]) == stop_hook) lua_sethook(running[i], NULL, 0, 0);
}

static void on_sigint(int sig) {
    (void)sig;
    topiary_interrupt(sigint_state);
}

void topiary_catch_sigint(lua_State *L) {
    sigint_state = L;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = L ? on_sigint : SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

int topiary_loadfile(lua_State *L, const char *path) {
    return luaL_loadfilex(L, path, NULL);
}

/* os.execute, stopping the script when the command was stopped by an interrupt: while
   system() waits, the calling process ignores SIGINT, so a Ctrl-C (or a Jupyter interrupt)
   reaches only the command, and the script would run on as if it had finished. */
static int execute_interruptible(lua_State *L) {
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    int r = lua_gettop(L);
    if (r >= 3 && lua_type(L, 2) == LUA_TSTRING && strcmp(lua_tostring(L, 2), "signal") == 0
        && lua_tointeger(L, 3) == SIGINT)
        return luaL_error(L, "interrupted!");
    return r;
}

static int openlibs_p(lua_State *L) {
    luaL_openlibs(L);
    lua_getglobal(L, "os");
    if (lua_getfield(L, -1, "execute") == LUA_TFUNCTION) {
        lua_pushcclosure(L, execute_interruptible, 1);
        lua_setfield(L, -2, "execute");
    } else {
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return 0;
}

int topiary_openlibs(lua_State *L) {
    lua_pushcfunction(L, openlibs_p);
    return lua_pcall(L, 0, 0, 0);
}

lua_State *topiary_newstate(void) {
    return luaL_newstate();
}
