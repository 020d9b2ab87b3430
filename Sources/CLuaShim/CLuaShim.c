#include "CLuaShim.h"
#include <lauxlib.h>
#include <lualib.h>
#include <signal.h>
#include <string.h>

static topiary_dispatch_fn dispatcher = NULL;

void topiary_set_dispatcher(topiary_dispatch_fn fn) { dispatcher = fn; }

static int trampoline(lua_State *L) {
    int id = (int)lua_tointeger(L, lua_upvalueindex(1));
    int n = dispatcher(L, id);
    if (n >= 0) return n;
    if (n == TOPIARY_ARGERROR) {
        int arg = (int)lua_tointeger(L, -2);
        const char *msg = lua_tostring(L, -1);
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
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int topiary_pcall(lua_State *L, int nargs, int nresults) {
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);
    int status = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    return status;
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

static volatile sig_atomic_t pending = 0;
static lua_State *sigint_state = NULL;

static void stop_hook(lua_State *L, lua_Debug *ar) {
    /* Raise in Lua code only. A call or return event of a C function (the traceback
       handler running for a native kernel's "interrupted" error, a finalizer) would
       replace that error or be swallowed; the next Lua instruction stops instead. */
    if (ar->event == LUA_HOOKCALL || ar->event == LUA_HOOKRET || ar->event == LUA_HOOKTAILCALL) {
        if (lua_getinfo(L, "S", ar) && ar->what[0] == 'C') return;
    }
    lua_sethook(L, NULL, 0, 0);
    luaL_error(L, "interrupted!");
}

void topiary_interrupt(lua_State *L) {
    pending = 1;
    if (L) lua_sethook(L, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

int topiary_interrupt_pending(void) { return pending != 0; }

void topiary_clear_interrupt(void) {
    pending = 0;
    if (sigint_state) lua_sethook(sigint_state, NULL, 0, 0);
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

static int openlibs_p(lua_State *L) {
    luaL_openlibs(L);
    return 0;
}

int topiary_openlibs(lua_State *L) {
    lua_pushcfunction(L, openlibs_p);
    return lua_pcall(L, 0, 0, 0);
}

lua_State *topiary_newstate(void) {
    return luaL_newstate();
}
