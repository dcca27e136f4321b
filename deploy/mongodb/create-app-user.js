// Run once by the MongoDB image on the first start of an empty data directory (/docker-entrypoint-initdb.d),
// as the root user of MONGO_INITDB_ROOT_USERNAME: the services' own user, allowed to read and write the
// scheduler's database (event store, read models, users, market data) and nothing else.
const database = process.env.SCHEDULER_MONGODB_DATABASE || 'ashare_scheduler';
db.getSiblingDB('admin').createUser({
  user: process.env.MONGODB_APP_USER,
  pwd: process.env.MONGODB_APP_PASSWORD,
  roles: [{ role: 'readWrite', db: database }],
});
