/*
 * fuzz_events.c -- libFuzzer target for POST /api/v1/events bodies: an
 * accepted event has a checked text and source, and its JSON answer is
 * valid JSON that reads back the same text.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/api.h"
#include "collector/events.h"
#include "lib/source.h"

#define FUZZ_NOW 1226448060LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode one body; check the event and the JSON made of it. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event	ev;
	struct st_error e;
	json_error_t	je;
	json_t	       *back;
	char	       *text;

	memset(&e, 0, sizeof(e));
	if (events_parse((const char *)data, size, FUZZ_NOW, &ev, &e) == -1) {
		if (api_error_status(e.kind) != 400 &&
		    api_error_status(e.kind) != 422)
			abort();
		return 0;
	}
	if (events_check_text(ev.text, &e) == -1 || ev.time < 1 ||
	    ev.time > FUZZ_NOW + 366 * 86400LL ||
	    (ev.source[0] != '\0' && !source_is_valid_name(ev.source)))
		abort();
	ev.id = 1;
	ev.created = FUZZ_NOW;
	if ((text = events_to_json(&ev)) == NULL)
		abort();
	if (strpbrk(text, "<>&") != NULL ||
	    (back = json_loads(text, 0, &je)) == NULL)
		abort();
	if (!json_is_string(json_object_get(back, "text")) ||
	    strcmp(json_string_value(json_object_get(back, "text")), ev.text) !=
		0)
		abort();
	json_decref(back);
	free(text);
	return 0;
}
