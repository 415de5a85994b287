-- graph.lua -- a one-year _total graph, over and over; the width changes on
-- every request (600..1399 pixels, more than the graph cache holds) so each
-- one is rendered.
local n = 0

request = function()
   n = (n + 1) % 800
   return wrk.format("GET", "/graph.png?start=-1y&width=" .. (600 + n))
end
