-- get.lua -- a plain GET of the URL's path, keep-alive.
request = function()
   return wrk.format("GET")
end
