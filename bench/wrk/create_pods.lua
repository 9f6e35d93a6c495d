-- wrk script: POST a new pod per request (unique names per thread); path, token and body come from the env.
local counter = 0
local threads = {}
local tid = 0

function setup(thread)
  thread:set("id", tid)
  tid = tid + 1
  table.insert(threads, thread)
end

function init(args)
  prefix = "w" .. id .. "-"
  path = os.getenv("KYB_PATH")
  template = os.getenv("KYB_BODY")
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("KYB_TOKEN")
end

request = function()
  counter = counter + 1
  local body = string.gsub(template, "NAME", prefix .. counter)
  return wrk.format("POST", path, nil, body)
end
