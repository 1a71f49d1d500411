-- For wrk (`-s scripts/wrk-random-path.lua`): each request a path at random from the file that
-- the environment variable PATHS names, one per line. (To measure pages rendered afresh, run the
-- server with PAPERBOY_PAGE_CACHE_MIB=0: the page cache ignores query parameters no page reads.)
local paths = {}
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
math.randomseed(os.time())
request = function()
    return wrk.format("GET", paths[math.random(#paths)])
end
