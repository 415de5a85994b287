-- pushgateway.lua -- the single-submission load for prometheus-pushgateway:
-- one small text-format push per request, over 100 instances.
local n = 0
local headers = { ["Content-Type"] = "text/plain; version=0.0.4" }
local body = "mail_spam 1\nmail_ham 2\n"

request = function()
   n = (n + 1) % 100
   return wrk.format("POST", "/metrics/job/bench/instance/mx" .. n ..
      ".example.com", headers, body)
end
