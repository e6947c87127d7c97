"""Locust load test for Parlor: simulated people who use the web UI to read and send chat messages.

What one simulated person does (the class ``ChatUser``; ``GuestReader`` is the same without an account):

1. opens the web UI: ``GET /`` and every script and stylesheet the page links (what a browser loads);
2. registers an account (``POST /api/auth/register``) or, as a guest, asks for a guest id
   (``POST /api/auth/guest``);
3. lists the rooms it may see (``GET /api/rooms``) and makes sure the shared load-test rooms exist
   (``POST /api/rooms``, public rooms named ``load-1`` .. ``load-N``);
4. opens a Socket.IO connection with its token, as the web client does, and joins a few rooms
   (``room:join``), reading each room's history over REST (``GET /api/rooms/:id/messages``);
5. then, with think times between actions, sends messages (``message:send``, acknowledged once stored),
   re-reads history and the room list, and all along receives the messages of its rooms live
   (``message:created``).

Every step is recorded as a Locust request, so it appears in Locust's charts, tables and CSV files:
the REST calls under their method and path (``request_type`` GET/POST), and the Socket.IO steps under
``request_type`` "socket.io": ``connect``, ``room:join``, ``message:send (ack)`` (send until the ack)
and ``message:created (delivery)`` (send until a receiver gets it, from the send time written into the
message, so the generator's machines need agreeing clocks: one machine, or NTP). Each process keeps a
ledger of the deliveries it expects (every socket of this process that had joined the room when the
message was sent, the sender's own included, since Parlor broadcasts to the whole room) and the
deliveries it received; at the end every expected delivery that never arrived is recorded as a failed
``message:created (delivery)`` request, and the totals are logged (and written as JSON to
``PARLOR_SUMMARY`` if set). With several workers, each counts the senders and receivers it runs
itself; Locust's statistics (and so those failures) are summed by the master.

Inputs (environment variables; the Locust UI or command line gives users, spawn rate, run time, host):

- ``PARLOR_ROOMS`` (default 3): how many shared public rooms (``load-1`` ..) the test uses.
- ``PARLOR_ROOMS_PER_USER`` (default 2): how many of them each person joins (chosen at random).
- ``PARLOR_THINK_MIN`` / ``PARLOR_THINK_MAX`` (seconds, default 1 / 4): think time between actions.
- ``PARLOR_HOLD_SENDS`` (default off): when "1", nobody sends until every person of this process has
  joined its rooms, so each room's audience is fixed while messages flow (the CI test uses it to
  predict deliveries from room sizes).
- ``PARLOR_SEND_SECONDS`` (default unset): with ``PARLOR_HOLD_SENDS``, end the run (as ``-t`` does)
  this many seconds after the sends open, so slow set-up on a busy machine does not eat the run time.
- ``PARLOR_DRAIN_SECONDS`` (default 5): at the end, how long a person waits for deliveries still on
  their way before it disconnects.
- ``PARLOR_SUMMARY`` (default unset): a file path; the process writes its ledger there as JSON.

Run it (see the README's "Load testing"):  ``locust -f loadtest/locustfile.py --host http://127.0.0.1:3000``
Parlor's rate limits are sized for people, not for load tests: start Parlor with ``RATE_LIMIT_SCALE=50``
or so, or the generator's few addresses run into the registration and message limits.
"""

import json
import logging
import os
import random
import re
import time
import uuid

import gevent
import socketio
from gevent.event import Event
from locust import HttpUser, between, events, task
from locust.runners import LocalRunner
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

# ---- inputs ------------------------------------------------------------------------------------------
# Number of shared public rooms the test spreads people over (named load-1 .. load-ROOMS).
ROOMS = int(os.environ.get("PARLOR_ROOMS", "3"))
# Rooms each person joins (at most ROOMS).
ROOMS_PER_USER = min(int(os.environ.get("PARLOR_ROOMS_PER_USER", "2")), ROOMS)
# Think time between two actions of one person, in seconds (uniformly drawn between the two).
THINK_MIN = float(os.environ.get("PARLOR_THINK_MIN", "1"))
THINK_MAX = float(os.environ.get("PARLOR_THINK_MAX", "4"))
# True: hold every send until all people of this process have joined their rooms (fixed audiences).
HOLD_SENDS = os.environ.get("PARLOR_HOLD_SENDS", "") == "1"
# With HOLD_SENDS: seconds of sending after which the run ends (0: Locust's own -t or the UI decides).
SEND_SECONDS = float(os.environ.get("PARLOR_SEND_SECONDS", "0"))
# Seconds a stopping person waits for deliveries still in flight to it.
DRAIN_SECONDS = float(os.environ.get("PARLOR_DRAIN_SECONDS", "5"))
# Where to write this process's ledger as JSON at the end (unset: only logged).
SUMMARY_PATH = os.environ.get("PARLOR_SUMMARY", "")
# Password of every simulated account (accounts are throwaway; 8+ characters as Parlor requires).
PASSWORD = "locust-load-test-pw"
# Every message this test sends starts with this marker, followed by the send time and the message id,
# so a receiver can tell load-test messages from people's and compute the delivery latency.
MARKER = "locust"
# Seconds to wait for a Socket.IO ack before counting the call as failed: the web client's
# ACK_TIMEOUT_MS (web/src/lib/realtime/socket.ts).
ACK_TIMEOUT = 12
# Seconds the Socket.IO connection (WebSocket handshake + Socket.IO connect) may take: socket.io-client's
# default `timeout`, which the web client keeps.
CONNECT_TIMEOUT = 20

log = logging.getLogger("parlor")


# ---- the ledger: what this process sent, expected and received ---------------------------------------
class Ledger:
    """Per-process bookkeeping of sends and deliveries (gevent is cooperative: no locks needed).

    - ``listeners``: room id -> set of person ids (of this process) whose ``room:join`` was acknowledged
      and who have not started to leave; a message sent to the room is expected by each of them.
    - ``inflight``: client message id -> the listeners snapshot taken when the send was emitted and
      not yet acknowledged (a stopping person waits while it is in one of them).
    - ``pending``: person id -> client message ids it is expected to receive and has not yet.
    - ``received``: client message id -> person ids that received it (also before its ack arrived).
    - ``expected_by_room`` / ``received_by_room`` / ``acked_by_room``: the totals, per room name.
    - ``ready_users`` / ``spawned`` / ``all_ready``: how many people finished ``on_start``, whether
      Locust has spawned them all, and the event held sends wait for (PARLOR_HOLD_SENDS).
    """

    def __init__(self):
        self.listeners = {}
        self.inflight = {}
        self.pending = {}
        self.received = {}
        self.room_names = {}
        self.acked_by_room = {}
        self.expected_by_room = {}
        self.received_by_room = {}
        self.ready_users = 0
        self.spawned = False
        self.all_ready = Event()

    def listen(self, user_id, room_id, room_name):
        """``user_id`` has joined ``room_id``: it now expects every message sent there."""
        self.listeners.setdefault(room_id, set()).add(user_id)
        self.room_names[room_id] = room_name
        self.pending.setdefault(user_id, set())

    def stop_listening(self, user_id):
        """``user_id`` is leaving: messages sent from now on are not expected by it."""
        for members in self.listeners.values():
            members.discard(user_id)

    def emitted(self, cmid, room_id):
        """A send was emitted: remember who is listening right now. Returns that snapshot."""
        snapshot = frozenset(self.listeners.get(room_id, ()))
        self.inflight[cmid] = snapshot
        return snapshot

    def acked(self, cmid, room_id, ok):
        """The send's ack arrived (``ok``: stored) or it failed: turn the snapshot into expectations."""
        snapshot = self.inflight.pop(cmid, frozenset())
        if not ok:
            return
        name = self.room_names.get(room_id, room_id)
        self.acked_by_room[name] = self.acked_by_room.get(name, 0) + 1
        self.expected_by_room[name] = self.expected_by_room.get(name, 0) + len(snapshot)
        got = self.received.get(cmid, set())
        for user_id in snapshot:
            if user_id in got:
                self._count_received(room_id)
            else:
                self.pending.setdefault(user_id, set()).add(cmid)

    def delivered(self, user_id, cmid, room_id):
        """``user_id`` received message ``cmid`` live (counted once per person and message)."""
        got = self.received.setdefault(cmid, set())
        if user_id in got:
            return
        got.add(user_id)
        waiting = self.pending.get(user_id)
        if waiting is not None and cmid in waiting:
            waiting.discard(cmid)
            self._count_received(room_id)

    def _count_received(self, room_id):
        name = self.room_names.get(room_id, room_id)
        self.received_by_room[name] = self.received_by_room.get(name, 0) + 1

    def owed_to(self, user_id):
        """Whether ``user_id`` still waits for a delivery (pending, or part of a send not yet acked)."""
        return bool(self.pending.get(user_id)) or any(user_id in s for s in self.inflight.values())

    def summary(self):
        """The totals as a plain dict (for the log, the JSON file and the CI test)."""
        expected = sum(self.expected_by_room.values())
        received = sum(self.received_by_room.values())
        return {
            "acked": sum(self.acked_by_room.values()),
            "expected_deliveries": expected,
            "received_deliveries": received,
            "missing_deliveries": expected - received,
            "acked_by_room": self.acked_by_room,
            "expected_by_room": self.expected_by_room,
            "received_by_room": self.received_by_room,
        }


# The one ledger of this Locust process (the master and every worker have their own).
ledger = Ledger()
# Listener counts per room frozen when every person was ready (HOLD_SENDS runs), for the summary.
ready_listeners = {}


def record(name, started, exception=None, length=0):
    """Records one Socket.IO step as a Locust request: ``name``, time since ``started`` (seconds from
    ``time.time()``), failed if ``exception`` is given, ``length`` bytes."""
    events.request.fire(
        request_type="socket.io",
        name=name,
        response_time=(time.time() - started) * 1000,
        response_length=length,
        exception=exception,
        context={},
    )


class ParlorPerson(HttpUser):
    """What both kinds of people share: the web UI visit, the room set-up, the socket and the reading.

    Attributes set in ``on_start``: ``token`` (the session or guest token sent as ``Authorization``
    and in the Socket.IO handshake), ``person_id`` (this person's id in the ledger), ``rooms`` (id ->
    name of the rooms it joined), ``sio`` (its ``socketio.Client``), ``last_seq`` (room id -> the
    highest seq it has seen, used to read history after it).
    """

    # Not a kind of person itself: Locust spawns only its subclasses.
    abstract = True
    # Locust's think time between tasks: THINK_MIN..THINK_MAX seconds.
    wait_time = between(THINK_MIN, THINK_MAX)

    def use_browser_retries(self):
        """Retries a GET once when a kept-alive connection turns out to be closed, as browsers do.

        The server closes a keep-alive connection after 5 idle seconds (Node's default); a request
        sent on it at that moment gets "connection reset". Browsers resend an idempotent request in
        that case, so a person never sees it; without this, the race would show as a failure. Only GET
        (idempotent) is retried, once, and only on connection errors, never on an HTTP status.
        """
        retry = Retry(total=1, connect=1, read=1, status=0, redirect=0, allowed_methods=frozenset({"GET"}))
        self.client.mount("http://", HTTPAdapter(max_retries=retry))
        self.client.mount("https://", HTTPAdapter(max_retries=retry))

    def open_web_ui(self):
        """Loads the page and the scripts and stylesheets it links, as a browser does."""
        with self.client.get("/", name="GET /", catch_response=True) as res:
            if res.status_code != 200 or 'id="app"' not in res.text:
                res.failure(f"web UI page: status {res.status_code}")
                return
            assets = set(re.findall(r'(?:src|href)="(/assets/[^"]+)"', res.text))
        for path in sorted(assets):
            self.client.get(path, name="GET /assets/[file]")

    def auth_headers(self):
        """The ``Authorization`` header every API call carries."""
        return {"Authorization": f"Bearer {self.token}"}

    def load_rooms(self, create):
        """Lists the visible rooms; with ``create``, creates the missing ``load-N`` rooms first.
        Returns name -> id of the load-test rooms that exist."""
        for _ in range(2):
            res = self.client.get("/api/rooms", headers=self.auth_headers(), name="GET /api/rooms")
            found = {}
            if res.status_code == 200:
                for room in res.json()["rooms"]:
                    if re.fullmatch(r"load-\d+", room["name"]) and not room["isPrivate"]:
                        found[room["name"]] = room["id"]
            missing = [f"load-{i}" for i in range(1, ROOMS + 1) if f"load-{i}" not in found]
            if not missing or not create:
                return found
            for name in missing:
                # Two people may create the same room at once: the second gets 409, which is fine.
                with self.client.post(
                    "/api/rooms",
                    json={"name": name, "description": "Locust load-test room"},
                    headers=self.auth_headers(),
                    name="POST /api/rooms",
                    catch_response=True,
                ) as res:
                    if res.status_code in (201, 409):
                        res.success()
        return found

    def connect_and_join(self, rooms):
        """Opens the Socket.IO connection with the token and joins ``ROOMS_PER_USER`` of ``rooms``
        (name -> id), reading each one's history after its ack."""
        self.sio = socketio.Client(reconnection=False, request_timeout=CONNECT_TIMEOUT)
        self.sio.on("message:created", self.on_message_created)
        started = time.time()
        try:
            # WebSocket first, like the web client; the token goes in the handshake's `auth`.
            self.sio.connect(
                self.host, auth={"token": self.token}, transports=["websocket"], wait_timeout=CONNECT_TIMEOUT
            )
            record("connect", started)
        except Exception as err:  # noqa: BLE001 - any connection error is a failed connect
            record("connect", started, exception=err)
            return
        names = sorted(rooms)
        for name in random.sample(names, min(ROOMS_PER_USER, len(names))):
            room_id = rooms[name]
            started = time.time()
            try:
                res = self.sio.call("room:join", room_id, timeout=ACK_TIMEOUT)
            except Exception as err:  # noqa: BLE001 - a timeout or a lost connection
                record("room:join", started, exception=err)
                continue
            if not res.get("ok"):
                record("room:join", started, exception=Exception(res.get("error", {}).get("code")))
                continue
            record("room:join", started, length=len(res.get("messages", [])))
            self.rooms[room_id] = name
            ledger.listen(self.person_id, room_id, name)
            seqs = [m["seq"] for m in res.get("messages", [])]
            self.last_seq[room_id] = max(seqs, default=res["room"]["lastSeq"])
            self.read_history(room_id)

    def read_history(self, room_id):
        """Reads a room's messages after the last seq seen (what a client does to catch up)."""
        after = self.last_seq.get(room_id, 0)
        res = self.client.get(
            f"/api/rooms/{room_id}/messages?after={after}&limit=50",
            headers=self.auth_headers(),
            name="GET /api/rooms/:id/messages",
        )
        if res.status_code == 200:
            for message in res.json()["messages"]:
                self.last_seq[room_id] = max(self.last_seq[room_id], message["seq"])

    def on_message_created(self, message):
        """Socket.IO ``message:created`` handler: records a delivery of a load-test message."""
        parts = message.get("content", "").split(" ")
        if len(parts) < 3 or parts[0] != MARKER:
            return  # a person's message, not ours
        room_id = message["roomId"]
        self.last_seq[room_id] = max(self.last_seq.get(room_id, 0), message["seq"])
        sent_at = float(parts[1])
        record("message:created (delivery)", sent_at, length=len(message["content"]))
        ledger.delivered(self.person_id, parts[2], room_id)

    def became_ready(self):
        """Counts this person as ready (joined its rooms, or gave up trying)."""
        ledger.ready_users += 1
        check_all_ready(self.environment)

    @task(1)
    def read_some_history(self):
        """Re-reads one joined room's history after the last seq seen."""
        if self.rooms:
            self.read_history(random.choice(list(self.rooms)))

    @task(1)
    def list_rooms(self):
        """Refreshes the room list, as the sidebar does."""
        self.client.get("/api/rooms", headers=self.auth_headers(), name="GET /api/rooms")

    def on_stop(self):
        """Stops listening, waits up to DRAIN_SECONDS for deliveries still owed to it, disconnects."""
        ledger.stop_listening(self.person_id)
        deadline = time.time() + DRAIN_SECONDS
        while ledger.owed_to(self.person_id) and time.time() < deadline:
            gevent.sleep(0.05)
        if getattr(self, "sio", None) is not None and self.sio.connected:
            self.sio.disconnect()


class ChatUser(ParlorPerson):
    """A registered person: reads and sends messages (four in five simulated people)."""

    weight = 4

    def on_start(self):
        """Opens the UI, registers a fresh account, makes sure the load rooms exist, connects, joins."""
        self.person_id = uuid.uuid4().hex[:12]
        self.rooms, self.last_seq, self.sio, self.token = {}, {}, None, ""
        self.use_browser_retries()
        self.open_web_ui()
        username = f"lt-{self.person_id}"
        res = self.client.post(
            "/api/auth/register",
            json={"username": username, "email": f"{username}@load.test", "password": PASSWORD},
            name="POST /api/auth/register",
        )
        if res.status_code != 201:
            self.became_ready()
            return
        self.token = res.json()["token"]
        self.connect_and_join(self.load_rooms(create=True))
        self.became_ready()

    @task(3)
    def send_message(self):
        """Sends one message to a joined room and times its ack; its deliveries are timed by receivers."""
        if not self.rooms or self.sio is None or not self.sio.connected:
            return
        if HOLD_SENDS:
            ledger.all_ready.wait(timeout=60)
        room_id = random.choice(list(self.rooms))
        cmid = uuid.uuid4().hex
        started = time.time()
        # The content carries the send time (for the delivery latency) and the id (for the ledger).
        payload = {
            "roomId": room_id,
            "topic": "load",
            "content": f"{MARKER} {started:.6f} {cmid}",
            "clientMsgId": cmid,
        }
        ledger.emitted(cmid, room_id)
        try:
            res = self.sio.call("message:send", payload, timeout=ACK_TIMEOUT)
        except Exception as err:  # noqa: BLE001 - a timeout or a lost connection
            ledger.acked(cmid, room_id, ok=False)
            record("message:send (ack)", started, exception=err)
            return
        ok = bool(res.get("ok"))
        ledger.acked(cmid, room_id, ok)
        error = None if ok else Exception(res.get("error", {}).get("code", "refused"))
        record("message:send (ack)", started, exception=error, length=len(payload["content"]))


class GuestReader(ParlorPerson):
    """A guest: reads the public load rooms live and their history, never writes (one in five)."""

    weight = 1

    def on_start(self):
        """Opens the UI, gets a guest id, waits for the load rooms to exist, connects, joins."""
        self.person_id = uuid.uuid4().hex[:12]
        self.rooms, self.last_seq, self.sio, self.token = {}, {}, None, ""
        self.use_browser_retries()
        self.open_web_ui()
        res = self.client.post("/api/auth/guest", name="POST /api/auth/guest")
        if res.status_code != 201:
            self.became_ready()
            return
        self.token = res.json()["token"]
        rooms = {}
        for _ in range(20):  # registered people create the rooms; give them a few seconds
            rooms = self.load_rooms(create=False)
            if len(rooms) >= ROOMS:
                break
            gevent.sleep(0.5)
        self.connect_and_join(rooms)
        self.became_ready()


def check_all_ready(environment):
    """Opens the held sends once spawning is complete and every person of this process is ready,
    and freezes the rooms' audiences (listener counts) for the summary."""
    runner = environment.runner
    if ledger.all_ready.is_set() or not ledger.spawned or runner is None:
        return
    if ledger.ready_users >= runner.user_count:
        ready_listeners.update({ledger.room_names[r]: len(ids) for r, ids in ledger.listeners.items()})
        ledger.all_ready.set()
        if HOLD_SENDS and SEND_SECONDS > 0 and isinstance(runner, LocalRunner):
            # What -t does at its time limit, counted from here rather than from the start.
            gevent.spawn_later(SEND_SECONDS, runner.quit)
            log.info("all %d people ready; sending for %g s", ledger.ready_users, SEND_SECONDS)


@events.test_start.add_listener
def on_test_start(**_kwargs):
    """A new run (the web UI can start several in one process): start from an empty ledger."""
    ledger.__init__()
    ready_listeners.clear()


@events.spawning_complete.add_listener
def on_spawning_complete(user_count, **_kwargs):
    """Locust has started every person this process runs (``user_count`` of them)."""
    ledger.spawned = True
    check_all_ready(_environment[0])


# The Locust environment, kept by on_init for the listeners whose event does not pass it.
_environment = []


@events.init.add_listener
def on_init(environment, **_kwargs):
    """Stops gracefully by default: a person finishes its current action (so no send is cut between
    being stored and being acknowledged) unless the operator chose a --stop-timeout."""
    _environment.append(environment)
    if environment.parsed_options is not None and not environment.parsed_options.stop_timeout:
        environment.stop_timeout = ACK_TIMEOUT + DRAIN_SECONDS + 5


@events.test_stop.add_listener
def on_test_stop(environment, **_kwargs):
    """Reports expected vs received deliveries; every missing one is a failed delivery request."""
    result = ledger.summary()
    # Each room's audience when everyone was ready (fixed from then on with PARLOR_HOLD_SENDS).
    result["listeners_by_room"] = dict(ready_listeners)
    for _ in range(result["missing_deliveries"]):
        events.request.fire(
            request_type="socket.io",
            name="message:created (delivery)",
            response_time=0,
            response_length=0,
            exception=Exception("expected delivery never arrived"),
            context={},
        )
    if result["acked"] or result["expected_deliveries"]:
        log.info(
            "deliveries: expected %d, received %d, missing %d (acked sends %d)",
            result["expected_deliveries"],
            result["received_deliveries"],
            result["missing_deliveries"],
            result["acked"],
        )
    if SUMMARY_PATH:
        with open(SUMMARY_PATH, "w", encoding="utf-8") as out:
            json.dump(result, out, indent=2)
    # Locust 2.12 rewrites its --csv files once a second from a greenlet of its own and not again after
    # the users have stopped: give it one more turn, so the files include the stop phase's requests
    # (the last acks and deliveries) and the missing deliveries recorded just above.
    if environment.parsed_options is not None and environment.parsed_options.csv_prefix:
        gevent.sleep(1.5)
