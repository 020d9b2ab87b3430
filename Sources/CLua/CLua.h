// Lua 5.4 C API for Swift: the headers, plus static inline wrappers for the API's macros
// (Swift cannot import function-like macros).
#ifndef TOPIARY_CLUA_H
#define TOPIARY_CLUA_H
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

static inline int clua_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline int clua_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline void clua_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void clua_newtable(lua_State *L) { lua_newtable(L); }
static inline int clua_isnoneornil(lua_State *L, int i) { return lua_isnoneornil(L, i); }
static inline int clua_isnil(lua_State *L, int i) { return lua_isnil(L, i); }
static inline lua_Number clua_tonumber(lua_State *L, int i) { return lua_tonumber(L, i); }
static inline lua_Integer clua_tointeger(lua_State *L, int i) { return lua_tointeger(L, i); }
static inline const char *clua_tostring(lua_State *L, int i) { return lua_tostring(L, i); }
static inline void clua_insert(lua_State *L, int i) { lua_insert(L, i); }
static inline void clua_remove(lua_State *L, int i) { lua_remove(L, i); }
static inline void clua_replace(lua_State *L, int i) { lua_replace(L, i); }
static inline void *clua_newuserdata(lua_State *L, size_t sz) { return lua_newuserdatauv(L, sz, 1); }
static inline int clua_pcall(lua_State *L, int na, int nr, int h) { return lua_pcall(L, na, nr, h); }
static inline void clua_pushglobaltable(lua_State *L) { lua_pushglobaltable(L); }
static inline int clua_loadbuffer(lua_State *L, const char *s, size_t n, const char *name) {
    return luaL_loadbufferx(L, s, n, name, NULL);
}
/// lua_gc is variadic, which Swift cannot call.
static inline int clua_gc_collect(lua_State *L) { return lua_gc(L, LUA_GCCOLLECT, 0); }
static inline int clua_gc_countkb(lua_State *L) { return lua_gc(L, LUA_GCCOUNT, 0); }
#endif
