-- login_activity partitioned by month (docs/operator-guide.md "Login
-- activity retention").
--
-- One partition per calendar month (UTC) of login_time, named
-- login_activity_yYYYYmMM, plus login_activity_default for rows outside
-- every month partition (a clock far off, an import of old rows): an insert
-- never fails for want of a partition. Queries over a loginTime range scan
-- only the months it covers. Old months leave whole (detach, drop) instead
-- of by DELETE, so retention costs no vacuum and no bloat.
--
-- Housekeeping, run by every instance at start and hourly:
-- main.login_activity_add_months(ahead) creates the months from the current
-- one to `ahead` months ahead (moving any rows of such a month out of the
-- default partition first); main.login_activity_drop_months(retention) with
-- activity.retention_months > 0 detaches and drops the months before the
-- current month minus retention (and deletes default-partition rows that
-- old). Each takes its locks only for a moment (lock_timeout 2 s): when a
-- long query holds the table it gives up and tries again at the next run.
--
-- The conversion below copies the rows of the existing table into a
-- partitioned one inside this migration's transaction, then swaps the two.
-- The old table is locked in EXCLUSIVE mode first: reads go on during the
-- copy, inserts (logins) wait for the commit and then go into the new
-- table; nothing is lost and, on failure, everything rolls back. Copying 1,000,000 rows
-- takes 11-72 s on a small 2-core machine (docs/performance.md, "Login
-- activity over 1,000,000 rows"); the statement timeout is lifted for it.
SET LOCAL statement_timeout = 0;

CREATE FUNCTION main.login_activity_month_start(t timestamptz) RETURNS timestamptz
	LANGUAGE sql IMMUTABLE AS
$$ SELECT date_trunc('month', t AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' $$;

-- Create the partition for the month starting at lo, unless it exists,
-- taking over the rows the default partition holds for it.
CREATE FUNCTION main.login_activity_add_month(lo timestamptz) RETURNS boolean
	LANGUAGE plpgsql AS $$
DECLARE
	hi timestamptz := lo + interval '1 month';
	name text := 'login_activity_' || to_char(lo AT TIME ZONE 'UTC', '"y"YYYY"m"MM');
BEGIN
	IF to_regclass('main.' || name) IS NOT NULL THEN
		RETURN false;
	END IF;
	EXECUTE format('CREATE TABLE main.%I (LIKE main.login_activity INCLUDING DEFAULTS)', name);
	EXECUTE format('WITH moved AS (DELETE FROM main.login_activity_default'
		' WHERE login_time >= %L AND login_time < %L RETURNING *)'
		' INSERT INTO main.%I SELECT * FROM moved', lo, hi, name);
	-- the check lets ATTACH skip its validation scan
	EXECUTE format('ALTER TABLE main.%I ADD CONSTRAINT %I CHECK'
		' (login_time >= %L AND login_time < %L)', name, name || '_range', lo, hi);
	EXECUTE format('ALTER TABLE main.login_activity ATTACH PARTITION main.%I'
		' FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
	EXECUTE format('ALTER TABLE main.%I DROP CONSTRAINT %I', name, name || '_range');
	RETURN true;
END $$;

-- The months from the current one to `ahead` months ahead; returns how many
-- were created.
CREATE FUNCTION main.login_activity_add_months(ahead integer) RETURNS integer
	LANGUAGE plpgsql AS $$
DECLARE
	cur timestamptz := main.login_activity_month_start(now());
	created integer := 0;
BEGIN
	SET LOCAL lock_timeout = '2s';
	-- instances running this at once: one after the other
	PERFORM pg_advisory_xact_lock(hashtext('authsvc-activity-partitions'));
	FOR i IN 0..greatest(ahead, 0) LOOP
		IF main.login_activity_add_month(cur + make_interval(months => i)) THEN
			created := created + 1;
		END IF;
	END LOOP;
	RETURN created;
END $$;

-- Detach and drop the months before the current month minus
-- retention_months, and delete the default partition's rows that old;
-- returns how many months were dropped. retention_months <= 0: none.
CREATE FUNCTION main.login_activity_drop_months(retention_months integer) RETURNS integer
	LANGUAGE plpgsql AS $$
DECLARE
	cutoff timestamptz := main.login_activity_month_start(now())
		- make_interval(months => greatest(retention_months, 0));
	dropped integer := 0;
	p record;
BEGIN
	IF retention_months <= 0 THEN
		RETURN 0;
	END IF;
	SET LOCAL lock_timeout = '2s';
	PERFORM pg_advisory_xact_lock(hashtext('authsvc-activity-partitions'));
	FOR p IN
		SELECT c.relname FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'main.login_activity'::regclass
		  AND c.relname ~ '^login_activity_y[0-9]{4}m[0-9]{2}$'
		  AND to_date(substr(c.relname, 17, 4) || substr(c.relname, 22, 2), 'YYYYMM')::timestamp
		      AT TIME ZONE 'UTC' < cutoff
		ORDER BY c.relname
	LOOP
		EXECUTE format('ALTER TABLE main.login_activity DETACH PARTITION main.%I', p.relname);
		EXECUTE format('DROP TABLE main.%I', p.relname);
		dropped := dropped + 1;
	END LOOP;
	DELETE FROM main.login_activity_default WHERE login_time < cutoff;
	RETURN dropped;
END $$;

-- The partitioned table, built beside the old one under another name. The
-- old table is locked in EXCLUSIVE mode: it can still be read while the
-- copy runs, but not written.
LOCK TABLE main.login_activity IN EXCLUSIVE MODE;
CREATE TABLE main.login_activity_partitioned (
	id uuid NOT NULL DEFAULT gen_random_uuid(),
	actor text NOT NULL,
	tenant_id text,
	login_time timestamptz NOT NULL DEFAULT now(),
	token_payload text NOT NULL,
	login_type text NOT NULL,
	device_info text,
	ip_address text
) PARTITION BY RANGE (login_time);
CREATE TABLE main.login_activity_default PARTITION OF main.login_activity_partitioned DEFAULT;

-- one partition for every month that has rows (none for the empty months
-- between: a stray row from 2001 makes one partition, not three hundred),
-- and for the current month and the next three
DO $$
DECLARE
	m timestamptz;
BEGIN
	FOR m IN
		SELECT DISTINCT main.login_activity_month_start(login_time)
		FROM main.login_activity
		UNION
		SELECT main.login_activity_month_start(now()) + make_interval(months => g)
		FROM generate_series(0, 3) g
	LOOP
		EXECUTE format('CREATE TABLE main.%I PARTITION OF main.login_activity_partitioned'
			' FOR VALUES FROM (%L) TO (%L)',
			'login_activity_' || to_char(m AT TIME ZONE 'UTC', '"y"YYYY"m"MM'),
			m, m + interval '1 month');
	END LOOP;
END $$;

INSERT INTO main.login_activity_partitioned (id, actor, tenant_id, login_time, token_payload,
					     login_type, device_info, ip_address)
	SELECT id, actor, tenant_id, login_time, token_payload, login_type, device_info, ip_address
	FROM main.login_activity;

-- the indexes of 0001 and 0002, now on every partition, built after the
-- copy (faster than maintaining them row by row) under names of their own
-- while the old table keeps its; the partition key must be part of every
-- unique index
ALTER TABLE main.login_activity_partitioned
	ADD CONSTRAINT login_activity_p_pkey PRIMARY KEY (id, login_time);
CREATE INDEX login_activity_p_actor_time
	ON main.login_activity_partitioned (actor, login_time DESC);
CREATE INDEX login_activity_p_tenant_time
	ON main.login_activity_partitioned (tenant_id, login_time);
CREATE INDEX login_activity_p_time ON main.login_activity_partitioned (login_time);

-- the swap: only now are readers held, for a moment
DROP TABLE main.login_activity;
ALTER TABLE main.login_activity_partitioned RENAME TO login_activity;
ALTER TABLE main.login_activity RENAME CONSTRAINT login_activity_p_pkey TO login_activity_pkey;
ALTER INDEX main.login_activity_p_actor_time RENAME TO login_activity_actor_time;
ALTER INDEX main.login_activity_p_tenant_time RENAME TO login_activity_tenant_time;
ALTER INDEX main.login_activity_p_time RENAME TO login_activity_time;
ANALYZE main.login_activity;
