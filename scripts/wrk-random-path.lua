-- For wrk (`-s scripts/wrk-random-path.lua`): each request a path at random from the file that
-- the environment variable PATHS names, one per line. With FRESH set (non-empty), every path gets
-- a query string never seen before, which the server ignores but its page cache cannot have.
local paths = {}
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
local fresh = (os.getenv("FRESH") or "") ~= ""
local counter = 0
math.randomseed(os.time())
request = function()
    local path = paths[math.random(#paths)]
    if fresh then
        counter = counter + 1
        path = path .. "?bench=" .. counter .. "-" .. math.random(1000000000)
    end
    return wrk.format("GET", path)
end
