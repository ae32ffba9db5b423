-- AlterTable
ALTER TABLE "Todo" ADD COLUMN "dueAt" TIMESTAMP(3);
